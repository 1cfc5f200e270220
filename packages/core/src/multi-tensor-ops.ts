// Optional capabilities an engine may add beyond Backend for the training step: AdamW, the global-norm
// gradient clip, its sum of squares and a non-finite guard, each one native call over many tensors that reads nothing back.
// Not an implementation (the torch backend has all three) and not the trainer's fallback compositions.

import type { AdamWHyper, Backend, Tensor } from './backend.js';

export interface MultiTensorOps {
  /**
   * In-place AdamW over lists of parameters and moments. With `skipIf` (a one-element float32 tensor,
   * see flagNonFinite) the update is skipped when it is nonzero, decided on the device where it can be.
   */
  adamwAll(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper, skipIf?: Tensor | null): void;
  /**
   * Divides gradients by `divisor` and clips their global L2 norm to `maxNorm` in place, on the device:
   * g <- g · c / divisor, c = clamp(maxNorm / (sqrt(Σg²)/divisor + 1e-6), max=1) (PyTorch's clip_grad_norm_
   * coefficient; c = 1 when maxNorm is 0). Returns Σg² of the gradients as given (a 0-dim float32 tensor,
   * not read back): the norm of the averaged gradient is sqrt(Σg²) / divisor. With `sumSq` (a 0-dim float32
   * Σg² made elsewhere: a sharded gradient's, summed over the ranks) the clip uses it and returns it.
   */
  clipGradNorm(grads: Tensor[], maxNorm: number, divisor: number, sumSq?: Tensor): Tensor;
  /** Σ sum(x·x) over the tensors in list order (0-dim float32, not read back): clipGradNorm's own reduction. */
  sumOfSquares(xs: Tensor[]): Tensor;
  /** Sets `guard` (a one-element float32 tensor) to 1 when any of `xs` holds a NaN or an infinity. */
  flagNonFinite(guard: Tensor, xs: Tensor[]): void;
}

const cache = new WeakMap<Backend, MultiTensorOps | null>();

/** The engine's multi-tensor step ops when it has all of them, else null (compose from required ops). */
export function multiTensorOps(b: Backend): MultiTensorOps | null {
  if (cache.has(b)) return cache.get(b)!;
  const ops = b as Backend & Partial<MultiTensorOps>;
  const found =
    typeof ops.adamwAll === 'function' &&
    typeof ops.clipGradNorm === 'function' &&
    typeof ops.flagNonFinite === 'function' &&
    typeof ops.sumOfSquares === 'function'
      ? {
          adamwAll: ops.adamwAll.bind(b),
          clipGradNorm: ops.clipGradNorm.bind(b),
          flagNonFinite: ops.flagNonFinite.bind(b),
          sumOfSquares: ops.sumOfSquares.bind(b),
        }
      : null;
  cache.set(b, found);
  return found;
}
