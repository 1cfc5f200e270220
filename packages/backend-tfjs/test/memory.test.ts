// Memory of training-like use: forward + backward + AdamW steps of the tiny preset leave no tensors behind.
// Not the conformance suite's small leak checks (those run on tiny hand-made configs).

import { describe, expect, it } from 'vitest';
import {
  crossEntropyLoss,
  disposeParams,
  zeros,
  forward,
  fusedOps,
  hostTensor,
  paramSpec,
  resolveConfig,
  Rng,
  uploadParams,
  type ModelConfig,
  type StateDict,
  type Tensor,
} from '@hyperclone/core';
import { createTfjsBackend } from '../src/index.js';

function weightsFor(config: ModelConfig): StateDict {
  const rng = new Rng(3);
  const weights: StateDict = new Map();
  for (const s of paramSpec(config)) {
    const data = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
    if (s.init === 'ones') data.fill(1);
    else if (s.init !== 'zeros') rng.fillNormal(data, 0.02);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return weights;
}

describe.each(['wasm', 'cpu'] as const)('tfjs %s memory', (engine) => {
  it.each(['tiny', 'tiny-llama'])('%s: training steps with dropout and AdamW keep liveTensors flat', async (preset) => {
    const b = await createTfjsBackend({ engine });
    const config = { ...resolveConfig(preset), dropout: 0.1 };
    const names = paramSpec(config).map((s) => s.name);
    let params: Record<string, Tensor> = uploadParams(b, config, weightsFor(config));
    const zerosLike = (n: string): Tensor => b.keep(b.fromHost(zeros(b.shape(params[n]!))));
    let moments = names.map((n) => [zerosLike(n), zerosLike(n)] as const);
    const [B, T] = [2, 32];
    const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 13) % config.vocabSize);
    const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 13 + 1) % config.vocabSize);
    const counts: number[] = [];
    const losses: number[] = [];
    for (let step = 1; step <= 4; step++) {
      const next = b.tidy(() => {
        const [x, y] = [b.fromHost(hostTensor([B, T], tokens)), b.fromHost(hostTensor([B, T], targets))];
        const { value, grads } = b.valueAndGrad(
          (xs) => {
            const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
            return crossEntropyLoss(b, forward(b, config, p, x, { train: true, dropoutSeed: step }).logits, y);
          },
          names.map((n) => params[n]!),
        );
        losses.push(b.toHost(value).data[0]!);
        const hp = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step };
        return names.map((n, i) => fusedOps(b).adamw(params[n]!, grads[i]!, moments[i]![0], moments[i]![1], hp));
      });
      disposeParams(b, params);
      b.dispose(moments.flat());
      params = Object.fromEntries(names.map((n, i) => [n, next[i]![0]]));
      moments = next.map(([, m, v]) => [m, v] as const);
      counts.push(b.liveTensors());
    }
    console.log(
      `tfjs-${engine} ${preset}: live tensors per step ${counts.join(', ')}; losses ${losses.map((l) => l.toFixed(4)).join(', ')}`,
    );
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBe(3 * names.length);
    expect(losses[3]!).toBeLessThan(losses[0]!);
    disposeParams(b, params);
    b.dispose(moments.flat());
    expect(b.liveTensors()).toBe(0);
    b.close();
  });
});
