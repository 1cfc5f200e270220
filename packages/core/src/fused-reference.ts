// Reference compositions of the optional fused ops, written once on the required ops.
// Not fast: a backend overrides any of these with a fused kernel, checked against these by the
// conformance suite.

import type { AdamWHyper, AttentionOptions, Backend, FusedOps, Tensor } from './backend.js';
import { hostTensor } from './host-tensor.js';

export function referenceFused(b: Backend): FusedOps {
  const ops: FusedOps = {
    linear(x, weight, bias) {
      const shape = b.shape(x);
      let y = b.matmul(b.reshape(x, [-1, shape.at(-1)!]), weight, false, true); // (N, out)
      if (bias) y = b.add(y, bias); // (N, out)
      return b.reshape(y, [...shape.slice(0, -1), b.shape(weight)[0]!]); // (..., out)
    },

    layerNorm(x, weight, bias, eps) {
      const n = b.shape(x).at(-1)!;
      const mean = b.div(b.sum(x, -1, true), b.scalar(n));
      const centered = b.sub(x, mean);
      const variance = b.div(b.sum(b.mul(centered, centered), -1, true), b.scalar(n));
      const normed = b.div(centered, b.sqrt(b.add(variance, b.scalar(eps))));
      const scaled = b.mul(normed, weight);
      return bias ? b.add(scaled, bias) : scaled;
    },

    rmsNorm(x, weight, eps) {
      const n = b.shape(x).at(-1)!;
      const meanSquare = b.div(b.sum(b.mul(x, x), -1, true), b.scalar(n));
      return b.mul(b.div(x, b.sqrt(b.add(meanSquare, b.scalar(eps)))), weight);
    },

    gelu(x) {
      // 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))
      const cube = b.mul(b.mul(x, x), x);
      const inner = b.mul(b.add(x, b.mul(cube, b.scalar(0.044715))), b.scalar(Math.sqrt(2 / Math.PI)));
      return b.mul(b.mul(x, b.scalar(0.5)), b.add(b.tanh(inner), b.scalar(1)));
    },

    geluExact(x) {
      // 0.5·x·(1 + erf(x/√2))
      return b.mul(b.mul(x, b.scalar(0.5)), b.add(b.erf(b.mul(x, b.scalar(Math.SQRT1_2))), b.scalar(1)));
    },

    silu(x) {
      return b.mul(x, b.sigmoid(x));
    },

    softmax(x) {
      const shifted = b.sub(x, b.max(x, -1, true));
      const e = b.exp(shifted);
      return b.div(e, b.sum(e, -1, true));
    },

    logSoftmax(x) {
      const shifted = b.sub(x, b.max(x, -1, true));
      return b.sub(shifted, b.log(b.sum(b.exp(shifted), -1, true)));
    },

    attention(q, k, v, options) {
      return referenceAttention(b, ops, q, k, v, options);
    },

    crossEntropy(logits, targets, ignoreIndex) {
      const [, vocab] = b.shape(logits) as [number, number];
      const logProbs = ops.logSoftmax(logits); // (N, V)
      const valid = b.sub(b.scalar(1), b.equal(b.cast(targets, 'float32'), b.scalar(ignoreIndex))); // (N)
      const picked = b.sum(b.mul(logProbs, b.oneHot(targets, vocab)), -1); // (N), 0 where ignored
      const count = b.sum(valid, 0);
      return b.div(b.neg(b.sum(b.mul(picked, valid), 0)), count);
    },

    linearCrossEntropy(x, weight, bias, targets, o) {
      // the model's head (linear, then the logit scale) and the engine's own crossEntropy, whole
      let logits = b.matmul(x, weight, false, true); // (N, V)
      if (bias) logits = b.add(logits, bias); // (N, V)
      if (o.logitScale !== 1) logits = b.mul(logits, b.scalar(o.logitScale)); // (N, V)
      return fusedOps(b).crossEntropy(logits, targets, o.ignoreIndex);
    },

    adamw(param, grad, m, v, hp) {
      return referenceAdamW(b, param, grad, m, v, hp);
    },
  };
  return ops;
}

function referenceAttention(b: Backend, ops: FusedOps, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): Tensor {
  const [, , T] = b.shape(q) as [number, number, number, number];
  const Tk = b.shape(k)[2]!;
  let scores = b.mul(b.matmul(q, k, false, true), b.scalar(o.scale)); // (B, H, T, Tk)
  if (o.softcap !== undefined) scores = b.mul(b.tanh(b.div(scores, b.scalar(o.softcap))), b.scalar(o.softcap));
  if (o.causal) scores = b.add(scores, b.fromHost(causalMask(T, Tk, o.window)));
  let probs = ops.softmax(scores);
  if (o.dropout && o.dropout > 0) probs = b.dropout(probs, o.dropout, o.dropoutSeed ?? 0);
  return b.matmul(probs, v); // (B, H, T, D)
}

/**
 * Additive mask [T, Tk]: 0 where query t may see key s (s <= t + Tk - T, and with a window also
 * s > t + Tk - T - window), a large negative number elsewhere.
 */
export function causalMask(T: number, Tk: number = T, window?: number) {
  const data = new Float32Array(T * Tk);
  const offset = Tk - T;
  for (let t = 0; t < T; t++) {
    for (let s = t + offset + 1; s < Tk; s++) data[t * Tk + s] = -1e9;
    if (window !== undefined) for (let s = 0; s <= t + offset - window && s < Tk; s++) data[t * Tk + s] = -1e9;
  }
  return hostTensor([T, Tk], data);
}

function referenceAdamW(b: Backend, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWHyper): [Tensor, Tensor, Tensor] {
  const m2 = b.add(b.mul(m, b.scalar(hp.beta1)), b.mul(grad, b.scalar(1 - hp.beta1)));
  const v2 = b.add(b.mul(v, b.scalar(hp.beta2)), b.mul(b.mul(grad, grad), b.scalar(1 - hp.beta2)));
  const mHat = b.div(m2, b.scalar(1 - hp.beta1 ** hp.step));
  const vHat = b.div(v2, b.scalar(1 - hp.beta2 ** hp.step));
  const update = b.div(mHat, b.add(b.sqrt(vHat), b.scalar(hp.eps)));
  const decayed = hp.weightDecay > 0 ? b.mul(param, b.scalar(1 - hp.lr * hp.weightDecay)) : param;
  const p2 = b.sub(decayed, b.mul(update, b.scalar(hp.lr)));
  return [p2, m2, v2];
}

/** The fused ops a model should call: the backend's own where it has them, the reference elsewhere. */
export function fusedOps(b: Backend): FusedOps {
  const cached = cache.get(b);
  if (cached) return cached;
  const reference = referenceFused(b);
  const merged: FusedOps = { ...reference };
  for (const key of Object.keys(b.fused) as (keyof FusedOps)[]) {
    const impl = b.fused[key];
    if (impl) (merged as unknown as Record<string, unknown>)[key] = impl;
  }
  cache.set(b, merged);
  return merged;
}

const cache = new WeakMap<Backend, FusedOps>();
