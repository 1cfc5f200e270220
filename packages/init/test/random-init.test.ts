// randomInit: the GPT-2 scheme per parameter of the spec, seeded streams per name, vocabulary resizing and bad input.
// Not cloning (the clone tests) and not training from these weights.
import { countParams, getPreset, paramSpec, resolveConfig } from '@hyperclone/core';
import { describe, expect, it } from 'vitest';
import { randomInit, randomWeights } from '../src/index.js';

function stats(data: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (const v of data) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return { mean, std: Math.sqrt(sq / data.length - mean * mean) };
}

describe('randomInit', () => {
  it('makes every parameter of the spec with the GPT-2 scheme', async () => {
    const m = await randomInit('cpu-128', { seed: 3 }).load();
    expect([...m.weights.keys()]).toEqual(paramSpec(m.config).map((s) => s.name));
    expect(m.origin).toEqual({ kind: 'random', seed: 3, preset: 'cpu-128' });
    const emb = stats(m.weights.get('tok_emb.weight')!.data as Float32Array);
    expect(Math.abs(emb.mean)).toBeLessThan(1e-3);
    expect(emb.std).toBeCloseTo(0.02, 3);
    // residual projections: 0.02 / sqrt(2 · 4 layers) = 0.00707
    const down = stats(m.weights.get('blocks.2.mlp.down.weight')!.data as Float32Array);
    expect(down.std).toBeCloseTo(0.02 / Math.sqrt(8), 4);
    expect([...m.weights.get('blocks.0.norm1.weight')!.data].every((v) => v === 1)).toBe(true);
    expect([...m.weights.get('blocks.0.attn.q.bias')!.data].every((v) => v === 0)).toBe(true);
  });

  it('gives the same weights for the same seed, different ones for another seed, and independent streams per name', async () => {
    const a = await randomInit('tiny', { seed: 7 }).load();
    const b = await randomInit('tiny', { seed: 7 }).load();
    const c = await randomInit('tiny', { seed: 8 }).load();
    const q = (m: typeof a): Float32Array => m.weights.get('blocks.0.attn.q.weight')!.data as Float32Array;
    expect(q(a)).toEqual(q(b));
    expect(q(a)).not.toEqual(q(c));
    expect(q(a)).not.toEqual(a.weights.get('blocks.0.attn.k.weight')!.data);
    // a parameter's stream depends only on (seed, name): a deeper model shares its first layers' weights
    const deeper = randomWeights({ ...getPreset('tiny'), nLayer: 3 }, 7);
    expect(deeper.get('blocks.1.mlp.up.weight')!.data).toEqual(a.weights.get('blocks.1.mlp.up.weight')!.data);
    // a known value pins the stream across machines and versions
    expect(q(a)[0]).toMatchInlineSnapshot(`-0.005504091735929251`);
  });

  it('resizes the vocabulary and accepts a config object', async () => {
    const m = await randomInit('tiny-llama', { vocabSize: 1000 }).load();
    expect(m.weights.get('tok_emb.weight')!.shape).toEqual([1000, 64]);
    expect(m.weights.get('lm_head.weight')!.shape).toEqual([1000, 64]);
    const o = await randomInit({ dModel: 32, nHead: 2, nLayer: 1 }).load();
    expect(o.config).toEqual(resolveConfig({ dModel: 32, nHead: 2, nLayer: 1 }));
    expect(o.origin).toEqual({ kind: 'random', seed: 0 });
  });

  it('rejects bad seeds, vocabularies and presets with the reason', () => {
    expect(() => randomInit('tiny', { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => randomInit('tiny', { vocabSize: 0 })).toThrow(/vocabSize must be a positive integer/);
    expect(() => randomInit('huge')).toThrow(/unknown model preset "huge"/);
  });

  it('makes gpt2-124m (124M normals) in a few seconds', async () => {
    const m = await randomInit('gpt2-124m').load();
    let n = 0;
    for (const t of m.weights.values()) n += t.data.length;
    expect(n).toBe(countParams(getPreset('gpt2-124m')));
    expect(stats(m.weights.get('blocks.11.attn.o.weight')!.data as Float32Array).std).toBeCloseTo(0.02 / Math.sqrt(24), 4);
  });
});
