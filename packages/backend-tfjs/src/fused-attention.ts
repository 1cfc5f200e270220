// Scaled dot-product attention as one tfjs op: softmax kernel forward, hand-written backward.
// Not flash attention: it materializes the (B, H, T, Tk) probabilities, as the reference does.

import * as tf from '@tensorflow/tfjs-core';
import type { AttentionOptions } from '@hyperclone/core';
import { customOp } from './custom-op.js';

/** A matmul without its own gradient (attention's forward and backward call it). */
export type PlainMatMul = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) => tf.Tensor;

/** Additive mask [T, Tk]: 0 where query t may see key s (s <= t + Tk - T), -1e9 elsewhere (as core's causalMask). */
function causalMask(T: number, Tk: number): tf.Tensor {
  const data = new Float32Array(T * Tk);
  const offset = Tk - T;
  for (let t = 0; t < T; t++) for (let s = t + offset + 1; s < Tk; s++) data[t * Tk + s] = -1e9;
  return tf.tensor2d(data, [T, Tk]);
}

/**
 * The dropout multiplier tf.dropout(p, rate, seed) applies (0 or 1/(1 - rate)), so forward and
 * backward see the same mask as b.dropout(p, rate, seed) would.
 */
function dropoutMultiplier(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.dropout(tf.ones(shape), rate, undefined, seed);
}

export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, o: AttentionOptions, matMul: PlainMatMul): tf.Tensor {
  const rate = o.dropout ?? 0;
  return attentionOp(o.scale, o.causal, rate, o.dropoutSeed ?? 0, matMul)(q, k, v);
}

const attentionOp = (scale: number, causal: boolean, rate: number, seed: number, matMul: PlainMatMul) =>
  customOp(([q, k, v], save) => {
    const [T, Tk] = [q!.shape[2]!, k!.shape[2]!];
    const qs = tf.mul(q!, scale); // (B, H, T, D)
    let scores = matMul(qs, k!, false, true); // (B, H, T, Tk)
    if (causal) scores = tf.add(scores, causalMask(T, Tk));
    const probs = tf.softmax(scores, -1); // (B, H, T, Tk)
    const mask = rate > 0 ? dropoutMultiplier(probs.shape, rate, seed) : null;
    const dropped = mask ? tf.mul(probs, mask) : probs;
    save(mask ? [qs, k!, v!, probs, mask] : [qs, k!, v!, probs]);
    return {
      value: matMul(dropped, v!, false, false), // (B, H, T, D)
      gradFunc: (dy, [qsS, kS, vS, p, m]) => {
        const pd = m ? tf.mul(p!, m) : p!;
        const dv = matMul(pd, dy, true, false); // (B, H, Tk, D)
        let dp = matMul(dy, vS!, false, true); // (B, H, T, Tk)
        if (m) dp = tf.mul(dp, m);
        const ds = tf.mul(p!, tf.sub(dp, tf.sum(tf.mul(dp, p!), -1, true))); // softmax backward
        const dq = tf.mul(matMul(ds, kS!, false, false), scale); // (B, H, T, D)
        const dk = matMul(ds, qsS!, true, false); // (B, H, Tk, D)
        return [dq, dk, dv];
      },
    };
  });
