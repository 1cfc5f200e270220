// The loss of next-token prediction on backend tensors.
// Not evaluation loops (the trainer batches and averages) and not sampling.

import type { Backend, Tensor } from './backend.js';
import { fusedOps } from './fused-reference.js';

/** Targets equal to this are skipped by the loss. */
export const IGNORE_INDEX = -1;

/** Mean cross-entropy (nats) of logits (B, T, V) against int32 targets (B, T). */
export function crossEntropyLoss(b: Backend, logits: Tensor, targets: Tensor, ignoreIndex = IGNORE_INDEX): Tensor {
  const V = b.shape(logits).at(-1)!;
  return fusedOps(b).crossEntropy(b.reshape(logits, [-1, V]), b.reshape(targets, [-1]), ignoreIndex);
}
