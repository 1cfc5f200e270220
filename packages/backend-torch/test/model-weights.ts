// Realistic random weights for test models (GPT-2-style init: std 0.02, norms near 1, small biases).
// Not @hyperclone/init's randomInit: tests here only need fixed, seeded numbers of the right shapes.

import { hostTensor, numel, paramSpec, Rng, type ModelConfig, type StateDict } from '@hyperclone/core';

export function testWeights(config: ModelConfig, seed = 7): StateDict {
  const weights: StateDict = new Map();
  for (const s of paramSpec(config)) {
    const rng = new Rng(seed, s.name);
    const data = new Float32Array(numel(s.shape));
    if (s.init === 'ones') rng.fillNormal(data, 0.1, 1);
    else if (s.init === 'zeros') rng.fillNormal(data, 0.02);
    else rng.fillNormal(data, 0.05);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return weights;
}

/** Seeded token ids in [0, vocab) of shape (B, T), and next-token targets with the last one ignored. */
export function testBatch(vocab: number, B: number, T: number, seed = 3): { tokens: Int32Array; targets: Int32Array } {
  const rng = new Rng(seed, 'batch');
  const stream = Int32Array.from({ length: B * (T + 1) }, () => rng.int(vocab));
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      tokens[b * T + t] = stream[b * (T + 1) + t]!;
      targets[b * T + t] = stream[b * (T + 1) + t + 1]!;
    }
  }
  targets[B * T - 1] = -1;
  return { tokens, targets };
}
