// AdamW's moments through a growth: a width clone's gradients are its source's tiled and scaled by
// GRADIENT_RULES (measured on the tfjs backend, for every parameter of GPT-, Llama- and Gemma-style models), so
// cloneMoments of a gradient's (g, g²) is the clone's own (g', g'²); a depth growth's copied blocks keep
// their moments, new identity blocks start at zero; a rotation refuses. Not AdamW's update (the trainer's tests).

import type { Backend, ModelConfig, StateDict } from '@hyperclone/core';
import {
  crossEntropyLoss,
  forward,
  getPreset,
  hostTensor,
  paramSpec,
  Rng,
  resolveConfig,
  uploadParams,
  disposeParams,
} from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyGrowth, cloneMoments, growMoments, type GrowthOptions, type Moments } from '../src/index.js';
import { roughWeights } from './helpers/run-model.js';

let b: Backend;
beforeAll(async () => {
  b = await createTfjsBackend();
});
afterAll(() => b?.close());

const B = 2;
const T = 8;

function tokens(vocab: number, seed: number): { inputs: Int32Array; targets: Int32Array } {
  const rng = new Rng(seed, 'moment-tokens');
  const draw = () => Int32Array.from({ length: B * T }, () => rng.int(vocab));
  return { inputs: draw(), targets: draw() };
}

/** Every parameter's gradient of the mean cross-entropy on one batch, on the host. */
function gradients(config: ModelConfig, weights: StateDict, batch: { inputs: Int32Array; targets: Int32Array }): StateDict {
  const names = paramSpec(config).map((s) => s.name);
  const params = uploadParams(b, config, weights);
  try {
    const out: StateDict = new Map();
    b.tidy(() => {
      const inputs = b.fromHost(hostTensor([B, T], batch.inputs));
      const targets = b.fromHost(hostTensor([B, T], batch.targets));
      const { grads } = b.valueAndGrad(
        (xs) => {
          const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
          return crossEntropyLoss(b, forward(b, config, p, inputs).logits, targets);
        },
        names.map((n) => params[n]!),
      );
      names.forEach((n, i) => out.set(n, b.toHost(grads[i]!)));
    });
    return out;
  } finally {
    disposeParams(b, params);
  }
}

const squared = (sd: StateDict): StateDict =>
  new Map(
    [...sd].map(([n, t]) => [
      n,
      hostTensor(
        t.shape,
        (t.data as Float32Array).map((x) => x * x),
      ),
    ]),
  );

/**
 * Largest |a - b| over the largest |b| per tensor, the latter at least 1e-3 of the largest entry of any
 * tensor (the key bias's gradient is zero but for rounding: softmax ignores a shift shared by every key).
 */
function worstRelative(a: StateDict, want: StateDict): { name: string; error: number } {
  let worst = { name: '', error: 0 };
  let global = 0;
  for (const t of want.values()) for (const x of t.data as Float32Array) global = Math.max(global, Math.abs(x));
  for (const [name, t] of want) {
    const got = a.get(name)!.data as Float32Array;
    const w = t.data as Float32Array;
    expect(a.get(name)!.shape).toEqual(t.shape);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < w.length; i++) {
      scale = Math.max(scale, Math.abs(w[i]!));
      diff = Math.max(diff, Math.abs(got[i]! - w[i]!));
    }
    const error = diff / Math.max(scale, 1e-3 * global);
    if (error > worst.error) worst = { name, error };
  }
  return worst;
}

const gpt: ModelConfig = resolveConfig({ vocabSize: 61, contextLength: 16, nLayer: 2, dModel: 16, nHead: 4, headDim: 4, dFF: 32 });
const llama: ModelConfig = {
  ...getPreset('tiny-llama'),
  vocabSize: 61,
  contextLength: 16,
  dModel: 16,
  nHead: 4,
  nKvHead: 2,
  headDim: 4,
  dFF: 48,
};

const cases: { label: string; config: ModelConfig; growth: GrowthOptions }[] = [
  { label: 'GPT, tied head kept tied, 2x', config: gpt, growth: { width: 2 } },
  { label: 'GPT, 2x width, 3x FFN', config: gpt, growth: { width: 2, ffn: 3 } },
  { label: 'GPT untied, 3x with 2x heads', config: { ...gpt, tieEmbeddings: false }, growth: { width: 3, heads: 2 } },
  { label: 'Llama (RMSNorm, SwiGLU, GQA), 2x', config: llama, growth: { width: 2 } },
  // Gemma's forward multiplies the token embedding by sqrt(dModel): its gradient grows by sqrt(n_e) / n_e
  {
    label: 'Llama with a sqrt(dModel)-scaled, tied token embedding (Gemma), 2x',
    config: { ...llama, scaleEmbedding: true, tieEmbeddings: true },
    growth: { width: 2 },
  },
];

describe('cloneMoments', () => {
  for (const { label, config, growth } of cases) {
    it(`gives the clone's own moments of a gradient: ${label}`, () => {
      const weights = roughWeights(config, 5);
      const clone = applyGrowth(config, weights, growth);
      const batch = tokens(config.vocabSize, 1);
      const g = gradients(config, weights, batch);
      const wide = gradients(clone.config, clone.weights, batch);
      const carried = cloneMoments(config, { m: g, v: squared(g) }, clone.plan.spec);
      expect([...carried.m.keys()]).toEqual(paramSpec(clone.config).map((s) => s.name));
      // float32 gradients of the same function computed two ways: equal to a few ulps of the largest entry
      expect(worstRelative(carried.m, wide).error).toBeLessThan(2e-4);
      expect(worstRelative(carried.v, squared(wide)).error).toBeLessThan(4e-4);
    });
  }

  it('is not the weights rule: an embedding gradient is halved where its weight is not, a hidden matrix the other way round', () => {
    const g: StateDict = new Map(
      paramSpec(gpt).map((s) => [s.name, hostTensor(s.shape, new Float32Array(s.shape.reduce((a, n) => a * n, 1)).fill(1))]),
    );
    const carried = cloneMoments(gpt, { m: g, v: g }, applyGrowth(gpt, roughWeights(gpt, 1), { width: 2 }).plan.spec);
    expect(carried.m.get('tok_emb.weight')!.data[0]).toBeCloseTo(0.5); // writes the stream, which has 2 copies
    expect(carried.v.get('tok_emb.weight')!.data[0]).toBeCloseTo(0.25);
    expect(carried.m.get('blocks.0.mlp.down.weight')!.data[0]).toBeCloseTo(0.5); // writes the stream
    expect(carried.m.get('blocks.0.attn.q.weight')!.data[0]).toBeCloseTo(0.5); // writes 2x the heads
    expect(carried.m.get('blocks.0.norm1.weight')!.data[0]).toBeCloseTo(0.5);
  });
});

describe('growMoments', () => {
  it('carries copied blocks and starts new identity blocks at zero', () => {
    const weights = roughWeights(gpt, 2);
    const ones = (v: number): StateDict =>
      new Map(paramSpec(gpt).map((s) => [s.name, hostTensor(s.shape, new Float32Array(s.shape.reduce((a, n) => a * n, 1)).fill(v))]));
    const moments: Moments = { m: ones(0.3), v: ones(0.09) };
    const identity = growMoments(gpt, moments, { depth: 2 }); // interleave: b0, new, b1, new
    expect(identity.m.get('blocks.2.attn.q.weight')!.data[0]).toBeCloseTo(0.3);
    expect(identity.m.get('blocks.1.attn.q.weight')!.data.every((x) => x === 0)).toBe(true);
    expect(identity.v.get('blocks.3.mlp.down.weight')!.data.every((x) => x === 0)).toBe(true);
    const copies = growMoments(gpt, moments, { depth: 2, placement: 'stack', newBlocks: 'copy' });
    expect(copies.v.get('blocks.3.mlp.down.weight')!.data[0]).toBeCloseTo(0.09);
    // width then depth, as the weights: the wide blocks' moments halved, the new ones zero
    const both = growMoments(gpt, moments, { width: 2, depth: 2 });
    expect(both.m.get('blocks.2.mlp.down.weight')!.shape).toEqual([32, 64]);
    expect(both.m.get('blocks.2.mlp.down.weight')!.data[0]).toBeCloseTo(0.15);
    expect(applyGrowth(gpt, weights, { width: 2, depth: 2 }).weights.get('blocks.2.mlp.down.weight')!.shape).toEqual([32, 64]);
  });

  it('refuses a rotation, and moments of another model, saying what to do', () => {
    const g = new Map(paramSpec(gpt).map((s) => [s.name, hostTensor(s.shape, new Float32Array(s.shape.reduce((a, n) => a * n, 1)))]));
    expect(() => growMoments(gpt, { m: g, v: g }, { width: 2, rotate: true })).toThrow(
      /cannot be carried through the rotate step .* start them at zero \(moments=zero\)/,
    );
    const short = new Map([...g].slice(1));
    expect(() => growMoments(gpt, { m: short, v: g }, { width: 2 })).toThrow(/no m for "tok_emb.weight": they belong to another model/);
  });
});
