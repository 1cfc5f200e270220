// Test helper: runs a model's forward on a backend and brings logits, hidden states and loss to the host.
// Not a test itself, and not an evaluation loop (the trainer owns those).

import { readFileSync } from 'node:fs';
import type { Backend, ModelConfig, StateDict } from '@hyperclone/core';
import { crossEntropyLoss, disposeParams, forward, hostTensor, Rng, paramSpec, numel, uploadParams } from '@hyperclone/core';
import { shakespearePath } from '@hyperclone/data';

export interface ModelRun {
  /** (B, T, V) */
  logits: Float32Array;
  /** (B, T, C) per block */
  hidden: Float32Array[];
  loss: number;
}

/** Tiny Shakespeare as @hyperclone/data ships it (`builtin:shakespeare`). */
export const SHAKESPEARE = shakespearePath();
let corpus: Buffer | null = null;

/** B rows of T+1 consecutive bytes of Tiny Shakespeare from a seeded offset: inputs and next-byte targets. */
export function realTokens(B: number, T: number, seed: number): { inputs: Int32Array; targets: Int32Array } {
  corpus ??= readFileSync(SHAKESPEARE);
  const rng = new Rng(seed, 'tokens');
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = rng.int(corpus.length - T - 1);
    for (let t = 0; t < T; t++) {
      inputs[b * T + t] = corpus[start + t]!;
      targets[b * T + t] = corpus[start + t + 1]!;
    }
  }
  return { inputs, targets };
}

export function runModel(
  b: Backend,
  config: ModelConfig,
  weights: StateDict,
  inputs: Int32Array,
  targets: Int32Array,
  B: number,
): ModelRun {
  const T = inputs.length / B;
  const params = uploadParams(b, config, weights);
  let run = null as ModelRun | null;
  try {
    b.tidy(() => {
      const tokens = b.fromHost(hostTensor([B, T], inputs));
      const { logits, hidden } = forward(b, config, params, tokens, { collectHidden: true }); // (B, T, V), (B, T, C)[]
      const loss = crossEntropyLoss(b, logits, b.fromHost(hostTensor([B, T], targets)));
      run = {
        logits: b.toHost(logits).data as Float32Array,
        hidden: hidden.map((h) => b.toHost(h).data as Float32Array),
        loss: b.toHost(loss).data[0]!,
      };
    });
    return run!;
  } finally {
    disposeParams(b, params);
  }
}

/**
 * Weights far from the GPT-2 init: every parameter random, norms around 1 and biases nonzero, so a
 * rule that is only right for ones and zeros cannot pass. Matrices N(0, std), vectors 1 + N(0, 0.2) or N(0, 0.2).
 */
export function roughWeights(config: ModelConfig, seed: number, std = 0.3): StateDict {
  const rng = new Rng(seed, 'rough');
  const weights: StateDict = new Map();
  for (const s of paramSpec(config)) {
    const data = rng.fillNormal(new Float32Array(numel(s.shape)), s.shape.length === 2 ? std : 0.2, s.init === 'ones' ? 1 : 0);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return weights;
}
