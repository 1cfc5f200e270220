// The growth transforms beyond width: the random rotation, norm folding, depth growth, their options and records.
// Not function preservation over random configs (preservation.test.ts runs every combination through a forward).
import { paramSpec, resolveConfig, type ModelConfig, type StateDict } from '@hyperclone/core';
import { describe, expect, it } from 'vitest';
import {
  cloneInfoFromOrigin,
  cloneWeights,
  depthPlan,
  foldNorms,
  growDepth,
  applyGrowth,
  planGrowth,
  randomOrthogonal,
  randomWeights,
  symmetryReport,
} from '../src/index.js';
import { roughWeights } from './helpers/run-model.js';

const f32 = (w: StateDict, name: string): Float32Array => w.get(name)!.data as Float32Array;
const gpt = { dModel: 12, nHead: 3, nLayer: 2, vocabSize: 20, contextLength: 8 } as const;
const llama = {
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  dModel: 8,
  nHead: 2,
  nKvHead: 1,
  headDim: 4,
  dFF: 12,
  nLayer: 2,
  vocabSize: 20,
  contextLength: 8,
} as const;

function model(partial: Partial<ModelConfig>, seed = 1): { config: ModelConfig; weights: StateDict } {
  const config = resolveConfig(partial);
  return { config, weights: roughWeights(config, seed) };
}

describe('randomOrthogonal', () => {
  it('is orthogonal to float64 rounding, the same for the same seed, different for another', () => {
    const n = 24;
    const q = randomOrthogonal(n, 3);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q[k * n + i]! * q[k * n + j]!; // (QᵀQ)[i, j]
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-13);
    expect([...randomOrthogonal(n, 3)]).toEqual([...q]);
    expect(randomOrthogonal(n, 4)[0]).not.toBe(q[0]);
  });
});

describe('foldNorms', () => {
  it('turns a tied LayerNorm model into an untied RMSNorm one with unit gains, a head bias and a mean-zero stream', () => {
    const src = model({ ...gpt, tieEmbeddings: true });
    const folded = foldNorms(src.config, src.weights);
    expect(folded.config).toMatchObject({ norm: 'rmsnorm', tieEmbeddings: false, headBias: true, bias: true });
    expect([...folded.weights.keys()]).toEqual(paramSpec(folded.config).map((s) => s.name));
    expect([...f32(folded.weights, 'blocks.1.norm2.weight')]).toEqual(new Array(12).fill(1));
    expect(folded.weights.has('blocks.0.norm1.bias')).toBe(false);
    const emb = f32(folded.weights, 'tok_emb.weight'); // every row centered
    for (let r = 0; r < 20; r++) expect(Math.abs(emb.slice(r * 12, r * 12 + 12).reduce((a, b) => a + b, 0))).toBeLessThan(1e-5);
    // the head is the embedding times the final norm's gain, and its bias is E·β_f
    const g = f32(src.weights, 'norm_f.weight');
    const beta = f32(src.weights, 'norm_f.bias');
    const e = f32(src.weights, 'tok_emb.weight');
    expect(f32(folded.weights, 'lm_head.weight')[5]).toBeCloseTo(e[5]! * g[5]!, 6);
    expect(f32(folded.weights, 'lm_head.bias')[0]).toBeCloseTo(
      e.slice(0, 12).reduce((s, v, j) => s + v * beta[j]!, 0),
      5,
    );
  });

  it('gives readers without a bias one when a LayerNorm bias must go into them', () => {
    const src = model({ ...gpt, mlpBias: false });
    const folded = foldNorms(src.config, src.weights);
    expect(folded.config).toMatchObject({ mlpBias: true, headBias: true });
    expect(folded.weights.get('blocks.0.mlp.up.bias')!.shape).toEqual([48]);
    expect([...f32(folded.weights, 'blocks.0.mlp.down.bias')]).toEqual(new Array(12).fill(0)); // a writer: zero, centered
  });

  it('keeps an untied RMSNorm model without a head bias, and folds gains only', () => {
    const src = model(llama);
    const folded = foldNorms(src.config, src.weights);
    expect(folded.config.headBias).toBeUndefined();
    expect(folded.weights.has('lm_head.bias')).toBe(false);
    const g = f32(src.weights, 'blocks.0.norm1.weight');
    expect(f32(folded.weights, 'blocks.0.attn.q.weight')[3]).toBeCloseTo(f32(src.weights, 'blocks.0.attn.q.weight')[3]! * g[3]!, 6);
    expect(f32(folded.weights, 'tok_emb.weight')).toEqual(f32(src.weights, 'tok_emb.weight')); // not centered
  });
});

describe('rotation of a clone', () => {
  it('hides the copies from the raw weights, and symmetryReport finds them by undoing it', () => {
    const src = model(gpt);
    const plain = cloneWeights(src.config, src.weights, { width: 2 });
    const rotated = applyGrowth(src.config, src.weights, { width: 2, rotate: true, seed: 7 });
    expect(rotated.clone).toMatchObject({ rotate: true, tie: 'untie', seed: 7 });
    expect(rotated.config).toMatchObject({ norm: 'rmsnorm', tieEmbeddings: false, headBias: true, dModel: 24 });
    const emb = f32(rotated.weights, 'tok_emb.weight'); // (20, 24): the halves of a row are no copies
    expect(Math.abs(emb[0]! - emb[12]!)).toBeGreaterThan(1e-3);
    expect(symmetryReport(plain.weights, plain.config, plain.clone).overall).toBeCloseTo(1, 6);
    expect(symmetryReport(rotated.weights, rotated.config, rotated.clone).overall).toBeCloseTo(1, 5);
    const unrecorded = { ...rotated.clone, rotate: false };
    expect(symmetryReport(rotated.weights, rotated.config, unrecorded).overall!).toBeLessThan(0.9);
  });

  it('refuses to keep a tied model tied, and draws another rotation for another seed', () => {
    const src = model({ ...gpt, tieEmbeddings: true });
    expect(() => applyGrowth(src.config, src.weights, { width: 2, rotate: true, tie: 'keep' })).toThrow(/rotate unties a tied model/);
    const a = applyGrowth(src.config, src.weights, { width: 2, rotate: true, seed: 1 });
    const b = applyGrowth(src.config, src.weights, { width: 2, rotate: true, seed: 2 });
    expect(f32(a.weights, 'tok_emb.weight')[0]).not.toBe(f32(b.weights, 'tok_emb.weight')[0]);
  });
});

describe('depth growth', () => {
  it('lays new blocks out interleaved or stacked, identities or copies', () => {
    expect(depthPlan(3, { multiplier: 2, placement: 'interleave', newBlocks: 'identity' })).toEqual([0, null, 1, null, 2, null]);
    expect(depthPlan(2, { multiplier: 3, placement: 'stack', newBlocks: 'identity' })).toEqual([0, 1, null, null, null, null]);
    expect(depthPlan(2, { multiplier: 2, placement: 'interleave', newBlocks: 'copy' })).toEqual([0, 0, 1, 1]);
    expect(depthPlan(2, { multiplier: 2, placement: 'stack', newBlocks: 'copy' })).toEqual([0, 1, 0, 1]);
  });

  it('gives new identity blocks zero output projections and fresh readers; copies are bit-identical', () => {
    const src = model(llama);
    const deep = growDepth(src.config, src.weights, { multiplier: 2, placement: 'interleave', newBlocks: 'identity', seed: 3 });
    expect(deep.config.nLayer).toBe(4);
    expect(f32(deep.weights, 'blocks.2.attn.q.weight')).toEqual(f32(src.weights, 'blocks.1.attn.q.weight'));
    for (const name of ['blocks.1.attn.o.weight', 'blocks.3.mlp.down.weight'])
      expect(f32(deep.weights, name).every((v) => v === 0)).toBe(true);
    const q = f32(deep.weights, 'blocks.1.attn.q.weight');
    const std = Math.sqrt(q.reduce((s, v) => s + v * v, 0) / q.length);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.03);
    expect([...f32(deep.weights, 'blocks.1.norm1.weight')]).toEqual(new Array(8).fill(1));
    const copy = growDepth(src.config, src.weights, { multiplier: 2, placement: 'stack', newBlocks: 'copy', seed: 3 });
    expect(f32(copy.weights, 'blocks.3.mlp.down.weight')).toEqual(f32(src.weights, 'blocks.1.mlp.down.weight'));
    expect(copy.depth.sourceBlocks).toEqual([0, 1, 0, 1]);
  });

  it('grows width and depth in one step; symmetry leaves the new identity blocks out', () => {
    const src = { config: resolveConfig(gpt), weights: randomWeights(resolveConfig(gpt), 2) };
    const grown = applyGrowth(src.config, src.weights, { width: 2, depth: 2, placement: 'stack' });
    expect(grown.config).toMatchObject({ dModel: 24, nLayer: 4 });
    expect(grown.clone.depth).toEqual({ multiplier: 2, placement: 'stack', newBlocks: 'identity', sourceBlocks: [0, 1, null, null] });
    const r = symmetryReport(grown.weights, grown.config, grown.clone);
    expect(r.layers.map((l) => l.layer)).toEqual(['embeddings', 'blocks.0', 'blocks.1']);
    expect(r.overall).toBeCloseTo(1, 6);
  });

  it('rejects a fractional depth, and placement or newBlocks without a depth', () => {
    const src = model(gpt);
    expect(() => applyGrowth(src.config, src.weights, { width: 1, depth: 1.5 })).toThrow(/depth must be an integer >= 1/);
    expect(() => applyGrowth(src.config, src.weights, { width: 2, placement: 'stack' })).toThrow(/only apply when depth > 1/);
    expect(() => applyGrowth(src.config, src.weights, { width: 2, depth: 2, newBlocks: 'zero' as 'copy' })).toThrow(
      /newBlocks must be identity or copy/,
    );
  });
});

describe('growth the new model pieces cannot take, refused in one line', () => {
  it('refuses to rotate norms that do not fold, and identity blocks in a post-norm model', () => {
    const grow = (partial: Partial<ModelConfig>, options: Parameters<typeof applyGrowth>[2]) => {
      const config = resolveConfig({ ...gpt, ...partial });
      return () => applyGrowth(config, randomWeights(config, 1), options);
    };
    for (const normPlacement of ['post', 'sandwich', 'after'] as const)
      expect(grow({ normPlacement }, { width: 2, rotate: true })).toThrow(
        new RegExp(`^cannot rotate a model with ${normPlacement}-norm blocks: only a norm before each branch folds`),
      );
    expect(grow({ finalNorm: false }, { width: 2, rotate: true })).toThrow(/^cannot rotate a LayerNorm model without a final norm/);
    expect(grow({ qkNorm: true }, { width: 2, rotate: true })).toThrow(/^cannot rotate a LayerNorm model with q\/k norms/);
    expect(grow({ embedDim: 6 }, { width: 2, rotate: true })).toThrow(
      /^cannot rotate a LayerNorm model with biases whose embedding is projected/,
    );
    expect(grow({ normPlacement: 'post' }, { width: 2, depth: 2 })).toThrow(/^cannot add identity blocks to a post-norm model/);
    expect(() => planGrowth(resolveConfig({ ...gpt, normPlacement: 'post' }), { width: 2, depth: 2 })).toThrow(
      /^cannot add identity blocks to a post-norm model/,
    );
    expect(grow({ normPlacement: 'post' }, { width: 1, depth: 2, newBlocks: 'copy' })).not.toThrow();
  });

  it("gives a deeper model's new identity blocks the attention of the block before them", () => {
    const config = resolveConfig({ ...llama, nLayer: 2, slidingWindow: 3, layerTypes: ['sliding', 'full'] });
    const deep = applyGrowth(config, randomWeights(config, 1), { width: 1, depth: 2, placement: 'interleave' });
    expect(deep.config.layerTypes).toEqual(['sliding', 'sliding', 'full', 'full']);
    const stacked = applyGrowth(config, randomWeights(config, 1), { width: 1, depth: 2, placement: 'stack', newBlocks: 'copy' });
    expect(stacked.config.layerTypes).toEqual(['sliding', 'full', 'sliding', 'full']);
    expect(planGrowth(config, { width: 1, depth: 2, placement: 'interleave' }).config).toEqual(deep.config);
  });
});

describe('the clone record', () => {
  it('round-trips depth and rotation through origin.clone and rejects a malformed one', () => {
    const src = model(gpt);
    const grown = applyGrowth(src.config, src.weights, { width: 2, depth: 2, rotate: true });
    expect(cloneInfoFromOrigin({ clone: JSON.parse(JSON.stringify(grown.clone)) })).toEqual(grown.clone);
    expect(() => cloneInfoFromOrigin({ clone: { ...grown.clone, depth: { ...grown.clone.depth, placement: 'up' } } })).toThrow(
      /depth.placement is not "interleave" or "stack"/,
    );
    expect(() => cloneInfoFromOrigin({ clone: { ...grown.clone, rotate: 'yes' } })).toThrow(/rotate is not a boolean/);
  });
});
