// The Backend's fused ops on libtorch kernels, each one native call.
// Not the reference compositions (core's fused-reference.ts): conformance checks these against them.

import type { AttentionOptions, FusedOps } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { UNARY } from './op-codes.js';
import { unaryOp } from './required-ops.js';
import { idOf as id, wrap } from './torch-tensor.js';

export function fusedOps(e: NativeEngine): FusedOps {
  return {
    // one autograd node on CPU with more threads than one (native/linear.cpp), else matmul then add
    linear: (x, w, b) => wrap(e.linear(id(x), id(w), b ? id(b) : -1)),
    layerNorm: (x, w, b, eps) => wrap(e.layerNorm(id(x), id(w), b ? id(b) : -1, eps)),
    rmsNorm: (x, w, eps) => wrap(e.rmsNorm(id(x), id(w), eps)),
    gelu: unaryOp(e, UNARY.gelu),
    geluExact: unaryOp(e, UNARY.geluExact),
    silu: unaryOp(e, UNARY.silu),
    softmax: unaryOp(e, UNARY.softmax),
    logSoftmax: unaryOp(e, UNARY.logSoftmax),
    attention: (q, k, v, o: AttentionOptions) =>
      wrap(e.attention(id(q), id(k), id(v), o.scale, o.causal, o.dropout ?? 0, o.dropoutSeed ?? 0, o.window ?? 0, o.softcap ?? 0)),
    crossEntropy: (logits, targets, ignoreIndex) => wrap(e.crossEntropy(id(logits), id(targets), ignoreIndex)),
    // the fused classifier (native/linear-cross-entropy.cpp): row chunks of at most 64 MiB of logits (CUDA: 512 MiB)
    linearCrossEntropy: (x, weight, bias, targets, o) =>
      wrap(e.linearCrossEntropy(id(x), id(weight), bias ? id(bias) : -1, id(targets), o.ignoreIndex, o.logitScale, o.chunkRows ?? 0), []),
    adamw(param, grad, m, v, hp) {
      e.adamw(id(param), id(grad), id(m), id(v), hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.step);
      return [param, m, v]; // updated in place: the same handles
    },
  };
}
