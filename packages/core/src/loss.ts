// Loss and accuracy of next-token prediction on backend tensors.
// Not evaluation loops (the trainer batches and averages) and not sampling.

import type { Backend, Tensor } from './backend.js';
import { fusedOps } from './fused-reference.js';

/** Targets equal to this are skipped by the loss and the accuracy. */
export const IGNORE_INDEX = -1;

/** Mean cross-entropy (nats) of logits (B, T, V) against int32 targets (B, T). */
export function crossEntropyLoss(b: Backend, logits: Tensor, targets: Tensor, ignoreIndex = IGNORE_INDEX): Tensor {
  const V = b.shape(logits).at(-1)!;
  return fusedOps(b).crossEntropy(b.reshape(logits, [-1, V]), b.reshape(targets, [-1]), ignoreIndex);
}

export interface AccuracyCounts {
  correct: number;
  total: number;
}

/** Top-1 next-token hits among targets that are not ignored. */
export function accuracyCounts(b: Backend, logits: Tensor, targets: Tensor, ignoreIndex = IGNORE_INDEX): AccuracyCounts {
  return b.tidy(() => {
    const predicted = b.toHost(b.argmax(logits, -1)).data;
    const truth = b.toHost(targets).data;
    let correct = 0;
    let total = 0;
    for (let i = 0; i < truth.length; i++) {
      if (truth[i] === ignoreIndex) continue;
      total++;
      if (predicted[i] === truth[i]) correct++;
    }
    return { correct, total };
  });
}
