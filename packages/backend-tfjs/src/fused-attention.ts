// Scaled dot-product attention as one tfjs op: softmax kernel forward, hand-written backward.
// Not flash attention: it materializes the (B, H, T, Tk) probabilities, as the reference does.

import * as tf from '@tensorflow/tfjs-core';
import type { AttentionOptions } from '@hyperclone/core';
import { causalMask as coreCausalMask } from '@hyperclone/core';
import { customOp } from './custom-op.js';

/** A matmul without its own gradient (attention's forward and backward call it). */
export type PlainMatMul = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) => tf.Tensor;

/** Additive mask [T, Tk]: 0 where query t may see key s (s <= t + Tk - T, within the window if any), -1e9 elsewhere (core's causalMask). */
function causalMask(T: number, Tk: number, window: number | undefined): tf.Tensor {
  const mask = coreCausalMask(T, Tk, window);
  return tf.tensor2d(mask.data as Float32Array, [T, Tk]);
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
  return attentionOp(o, rate, o.dropoutSeed ?? 0, matMul)(q, k, v);
}

/**
 * Forward: s = (scale·q) kᵀ, capped to cap·tanh(s/cap) when soft-capped, masked, softmax, [dropout], · v.
 * Backward by hand: the softmax's, then the cap's (1 - tanh²), then the two products'.
 */
const attentionOp = (o: AttentionOptions, rate: number, seed: number, matMul: PlainMatMul) =>
  customOp(([q, k, v], save) => {
    const [T, Tk] = [q!.shape[2]!, k!.shape[2]!];
    const qs = tf.mul(q!, o.scale); // (B, H, T, D)
    let scores = matMul(qs, k!, false, true); // (B, H, T, Tk)
    const capped = o.softcap !== undefined ? tf.tanh(tf.div(scores, o.softcap)) : null; // (B, H, T, Tk): tanh(s/cap)
    if (capped) scores = tf.mul(capped, o.softcap!);
    if (o.causal) scores = tf.add(scores, causalMask(T, Tk, o.window));
    const probs = tf.softmax(scores, -1); // (B, H, T, Tk)
    const mask = rate > 0 ? dropoutMultiplier(probs.shape, rate, seed) : null;
    const dropped = mask ? tf.mul(probs, mask) : probs;
    save([qs, k!, v!, probs, ...(mask ? [mask] : []), ...(capped ? [capped] : [])]);
    return {
      value: matMul(dropped, v!, false, false), // (B, H, T, D)
      gradFunc: (dy, [qsS, kS, vS, p, ...rest]) => {
        const m = mask ? rest[0]! : null;
        const tanh = capped ? rest.at(-1)! : null;
        const pd = m ? tf.mul(p!, m) : p!;
        const dv = matMul(pd, dy, true, false); // (B, H, Tk, D)
        let dp = matMul(dy, vS!, false, true); // (B, H, T, Tk)
        if (m) dp = tf.mul(dp, m);
        let ds = tf.mul(p!, tf.sub(dp, tf.sum(tf.mul(dp, p!), -1, true))); // softmax backward
        if (tanh) ds = tf.mul(ds, tf.sub(1, tf.square(tanh))); // d(cap·tanh(s/cap))/ds = 1 - tanh²
        const dq = tf.mul(matMul(ds, kS!, false, false), o.scale); // (B, H, T, D)
        const dk = matMul(ds, qsS!, true, false); // (B, H, Tk, D)
        return [dq, dk, dv];
      },
    };
  });
