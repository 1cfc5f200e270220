import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from '../src/index.js';
import { crossEntropyLoss, forward, hostTensor, paramSpec, resolveConfig, Rng, uploadParams, type StateDict } from '@hyperclone/core';

function init(preset: string): { config: ReturnType<typeof resolveConfig>; weights: StateDict } {
  const config = resolveConfig(preset);
  const rng = new Rng(1);
  const weights: StateDict = new Map();
  for (const s of paramSpec(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = s.init === 'ones' ? new Float32Array(n).fill(1) : s.init === 'zeros' ? new Float32Array(n) : rng.fillNormal(new Float32Array(n), 0.02);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return { config, weights };
}

describe.each(['wasm', 'cpu'] as const)('smoke %s', (engine) => {
  it.each(['tiny', 'tiny-llama'])('forward+backward %s', async (preset) => {
    const b = await createTfjsBackend({ engine });
    console.log(b.engine, b.device);
    const { config, weights } = init(preset);
    const params = uploadParams(b, config, weights);
    const names = Object.keys(params);
    const B = 2, T = 16;
    const tok = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % config.vocabSize);
    const tgt = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % config.vocabSize);
    const before = b.liveTensors();
    const loss = b.tidy(() => {
      const tokens = b.fromHost(hostTensor([B, T], tok));
      const targets = b.fromHost(hostTensor([B, T], tgt));
      const { value, grads } = b.valueAndGrad((xs) => {
        const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
        return crossEntropyLoss(b, forward(b, config, p, tokens).logits, targets);
      }, names.map((n) => params[n]!));
      expect(grads.length).toBe(names.length);
      return value;
    });
    const v = b.toHost(loss).data[0]!;
    b.dispose(loss);
    expect(b.liveTensors()).toBe(before);
    expect(Math.abs(v - Math.log(config.vocabSize))).toBeLessThan(0.1);
    b.close();
  });
});
