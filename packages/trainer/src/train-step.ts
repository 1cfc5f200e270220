// One optimizer step's forward/backward: gradients summed over micro-batches, averaged, and
// clipped to a global norm, with the loss and the pre-clip norm read back to the host.
// Not the update (adamw.ts) and not where batches come from (the loop passes them in).

import type { Backend, ModelConfig, Tensor } from '@hyperclone/core';
import { crossEntropyLoss, forward, hashString, hostTensor } from '@hyperclone/core';

export interface MicroBatch {
  /** (B·T) row-major token ids */
  inputs: Int32Array;
  /** (B·T) next-token targets */
  targets: Int32Array;
}

export interface StepGradients {
  /** Mean loss over the micro-batches (nats). */
  loss: number;
  /** Global L2 norm of the averaged gradient, before clipping. */
  gradNorm: number;
  /** Averaged and clipped gradients in `names` order; the caller disposes them. */
  grads: Tensor[];
}

export interface StepShape {
  batchSize: number;
  seqLen: number;
  /** 0 disables clipping. */
  gradClip: number;
}

/** Dropout seed of one micro-batch: a pure function of (seed, step, micro), so resume repeats it. */
export function dropoutSeed(seed: number, step: number, micro: number): number {
  return hashString(`${seed}:${step}:${micro}`) % 2_097_152; // < 2^21, so the model's per-site seeds stay < 2^31
}

export function computeGradients(
  b: Backend,
  config: ModelConfig,
  params: Record<string, Tensor>,
  names: readonly string[],
  batches: readonly MicroBatch[],
  seeds: readonly number[],
  shape: StepShape,
): StepGradients {
  const { batchSize: B, seqLen: T } = shape;
  let sum: Tensor[] | null = null;
  let lossSum = 0;
  batches.forEach((batch, micro) => {
    const previous: Tensor[] | null = sum;
    const result = b.tidy(() => {
      const inputs = b.fromHost(hostTensor([B, T], batch.inputs)); // (B, T)
      const targets = b.fromHost(hostTensor([B, T], batch.targets)); // (B, T)
      const { value, grads } = b.valueAndGrad(
        (xs) => {
          const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
          const { logits } = forward(b, config, p, inputs, { train: true, dropoutSeed: seeds[micro]! }); // (B, T, V)
          return crossEntropyLoss(b, logits, targets);
        },
        names.map((n) => params[n]!),
      );
      return { value, grads: previous ? grads.map((g, i) => b.add(previous[i]!, g)) : grads };
    });
    if (previous) b.dispose(previous);
    lossSum += b.toHost(result.value).data[0]!;
    b.dispose(result.value);
    sum = result.grads;
  });
  const total = sum as Tensor[] | null;
  if (!total) throw new Error('computeGradients needs at least one micro-batch');
  return finishGradients(b, total, batches.length, lossSum, shape.gradClip);
}

/** Averages summed gradients, measures their global norm, and scales them under the clip. */
function finishGradients(b: Backend, sum: Tensor[], micro: number, lossSum: number, gradClip: number): StepGradients {
  const sumSq = b.tidy(() =>
    sum
      .map((g) =>
        b.sum(
          b.mul(g, g),
          b.shape(g).map((_, i) => i),
        ),
      )
      .reduce((a, x) => b.add(a, x)),
  );
  const gradNorm = Math.sqrt(b.toHost(sumSq).data[0]!) / micro;
  b.dispose(sumSq);
  const clipScale = gradClip > 0 && gradNorm > gradClip ? gradClip / (gradNorm + 1e-6) : 1;
  const scale = clipScale / micro;
  if (scale === 1) return { loss: lossSum / micro, gradNorm, grads: sum };
  const grads = b.tidy(() => sum.map((g) => b.mul(g, b.scalar(scale))));
  b.dispose(sum);
  return { loss: lossSum / micro, gradNorm, grads };
}
