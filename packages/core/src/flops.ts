// FLOPs per token for training (forward + backward), from the config alone, so runs compare exactly.
// Not a profiler: it counts the model's matrix multiplies, not what a kernel actually executes.

import type { ModelConfig } from './config.js';

/**
 * Matmul parameters: every linear weight in the blocks plus the LM head (the tied embedding is
 * counted once, as the head). Embedding lookups, norms and biases cost no matmul FLOPs.
 */
export function matmulParams(c: ModelConfig): number {
  const qDim = c.nHead * c.headDim;
  const kvDim = c.nKvHead * c.headDim;
  const attn = c.dModel * qDim + 2 * c.dModel * kvDim + qDim * c.dModel;
  const mlp = (c.mlp === 'swiglu' ? 3 : 2) * c.dModel * c.dFF;
  return c.nLayer * (attn + mlp) + c.vocabSize * c.dModel;
}

/**
 * Training FLOPs per token at sequence length T: 6·N for the matmuls (2 forward, 4 backward) plus
 * 12·L·(nHead·headDim)·T for attention scores and weighted values (the PaLM / nanoGPT convention,
 * counting the full T×T score matrix even though half is masked).
 */
export function trainFlopsPerToken(c: ModelConfig, seqLen: number = c.contextLength): number {
  return 6 * matmulParams(c) + 12 * c.nLayer * c.nHead * c.headDim * seqLen;
}

/** Forward-only FLOPs per token (evaluation, sampling). */
export function forwardFlopsPerToken(c: ModelConfig, seqLen: number = c.contextLength): number {
  return trainFlopsPerToken(c, seqLen) / 3;
}
