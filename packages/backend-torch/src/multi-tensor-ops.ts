// core's MultiTensorOps on the native engine: AdamW, the global-norm clip and the non-finite guard over
// lists of tensors, one native call each. Not the per-tensor fused ops (fused-ops.ts).

import type { AdamWHyper, MultiTensorOps, Tensor } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { idOf as id, wrap } from './torch-tensor.js';

export function multiTensorOps(e: NativeEngine): MultiTensorOps {
  return {
    adamwAll: (params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper, skipIf?: Tensor | null): void =>
      e.adamwMany(
        params.map(id),
        grads.map(id),
        m.map(id),
        v.map(id),
        hp.lr,
        hp.beta1,
        hp.beta2,
        hp.eps,
        hp.weightDecay,
        hp.step,
        skipIf ? id(skipIf) : -1,
      ),
    clipGradNorm: (grads, maxNorm, divisor, sumSq) => wrap(e.clipGradNorm(grads.map(id), maxNorm, divisor, sumSq ? id(sumSq) : -1), []),
    sumOfSquares: (xs) => wrap(e.sumOfSquares(xs.map(id)), []),
    flagNonFinite: (guard, xs) => e.flagNonFinite(id(guard), xs.map(id)),
  };
}
