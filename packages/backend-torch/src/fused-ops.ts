// The Backend's fused ops on libtorch kernels, plus AdamW over many tensors in one call.
// Not the reference compositions (core's fused-reference.ts): conformance checks these against them.

import type { AdamWHyper, AttentionOptions, FusedOps, Tensor } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { UNARY } from './op-codes.js';
import { unaryOp } from './required-ops.js';
import { idOf as id, wrap } from './torch-tensor.js';

export function fusedOps(e: NativeEngine): FusedOps {
  return {
    layerNorm: (x, w, b, eps) => wrap(e.layerNorm(id(x), id(w), b ? id(b) : -1, eps)),
    rmsNorm: (x, w, eps) => wrap(e.rmsNorm(id(x), id(w), eps)),
    gelu: unaryOp(e, UNARY.gelu),
    silu: unaryOp(e, UNARY.silu),
    softmax: unaryOp(e, UNARY.softmax),
    logSoftmax: unaryOp(e, UNARY.logSoftmax),
    attention: (q, k, v, o: AttentionOptions) =>
      wrap(e.attention(id(q), id(k), id(v), o.scale, o.causal, o.dropout ?? 0, o.dropoutSeed ?? 0)),
    crossEntropy: (logits, targets, ignoreIndex) => wrap(e.crossEntropy(id(logits), id(targets), ignoreIndex)),
    adamw(param, grad, m, v, hp) {
      e.adamw(id(param), id(grad), id(m), id(v), hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.step);
      return [param, m, v]; // updated in place: the same handles
    },
  };
}

/** In-place AdamW over lists of tensors: one multi-tensor kernel on CUDA with libtorch >= 2.0. */
export function adamwAll(e: NativeEngine) {
  return (params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper): void =>
    e.adamwMany(params.map(id), grads.map(id), m.map(id), v.map(id), hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.step);
}
