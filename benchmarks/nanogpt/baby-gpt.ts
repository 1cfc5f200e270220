// nanoGPT's shakespeare_char "baby GPT" for the CPU (its README's command line), as one record both sides of
// the race read: the model as a hyperclone ModelConfig and the training settings. Not a preset of the library.

import type { ModelConfig } from '@hyperclone/core';

export const BABY_GPT = {
  nLayer: 4,
  nHead: 4,
  dModel: 128,
  /** block_size */
  seqLen: 64,
  batchSize: 12,
  iters: 2000,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 100,
  beta1: 0.9,
  beta2: 0.99,
  weightDecay: 0.1,
  gradClip: 1,
} as const;

/** nanoGPT's GPT at these sizes: no biases, exact GELU, tied embeddings, dropout 0; the vocabulary is the data's. */
export function babyConfig(vocabSize: number): ModelConfig {
  const { nLayer, nHead, dModel, seqLen } = BABY_GPT;
  return {
    vocabSize,
    contextLength: seqLen,
    nLayer,
    dModel,
    nHead,
    nKvHead: nHead,
    headDim: dModel / nHead,
    dFF: 4 * dModel,
    norm: 'layernorm',
    normEps: 1e-5,
    position: 'learned',
    ropeTheta: 10000,
    mlp: 'gelu',
    activation: 'gelu-exact',
    bias: false,
    tieEmbeddings: true,
    logitScale: 1,
    dropout: 0,
  };
}
