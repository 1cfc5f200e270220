// FLOPs per token for training (forward + backward), from the parameter spec alone, so runs compare exactly.
// Not a profiler: it counts the model's matrix multiplies, not what a kernel actually executes.

import { slidingWindowOf, type ModelConfig } from './config.js';
import { numel } from './host-tensor.js';
import { axisSizes, headWeightName, paramSpec } from './param-spec.js';

/**
 * Matmul parameters: every linear weight of the spec plus the LM head's (a tied embedding is
 * counted once, as the head). Embedding lookups, norms and biases cost no matmul FLOPs.
 */
export function matmulParams(c: ModelConfig): number {
  const head = headWeightName(c);
  return paramSpec(c)
    .filter((s) => s.kind === 'linear' || s.name === head)
    .reduce((n, s) => n + numel(s.shape), 0);
}

/**
 * Training FLOPs per token at sequence length T: 6·N for the matmuls (2 forward, 4 backward) plus
 * 12·(nHead·headDim)·K per layer for attention scores and weighted values, K the keys a query is counted
 * against: T for full attention (the PaLM / nanoGPT convention, counting the full T×T score matrix even
 * though half is masked), min(T, window) for a sliding-window layer (its band, counted the same way).
 */
export function trainFlopsPerToken(c: ModelConfig, seqLen: number = c.contextLength): number {
  let keys = 0;
  for (let layer = 0; layer < c.nLayer; layer++) keys += Math.min(seqLen, slidingWindowOf(c, layer) ?? seqLen);
  return 6 * matmulParams(c) + 12 * axisSizes(c).q * keys;
}
