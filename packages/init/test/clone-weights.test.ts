// The host-side clone transform: tiling, the per-axis rules, cloneConfig, every variant's blocks, and symmetryReport.
// Not function preservation through a forward pass (preservation.test.ts and clone-presets.test.ts run that).
import { axisSizes, paramSpec, resolveConfig, type ModelConfig, type StateDict } from '@hyperclone/core';
import { describe, expect, it } from 'vitest';
import {
  AXIS_RULES,
  type Growth,
  cloneConfig,
  cloneRule,
  cloneWeights,
  randomWeights,
  symmetryReport,
  tileMatrix,
  tileVector,
} from '../src/index.js';

const f32 = (t: { data: Float32Array | Int32Array }): Float32Array => t.data as Float32Array;

function model(partial: Partial<ModelConfig>, seed = 1): { config: ModelConfig; weights: StateDict } {
  const config = resolveConfig(partial);
  return { config, weights: randomWeights(config, seed) };
}

const gqa = {
  norm: 'rmsnorm',
  position: 'rope',
  mlp: 'swiglu',
  bias: false,
  tieEmbeddings: false,
  dModel: 16,
  nHead: 4,
  nKvHead: 2,
  headDim: 4,
  dFF: 24,
  nLayer: 2,
  vocabSize: 20,
  contextLength: 16,
} as const;
const gpt = { dModel: 12, nHead: 3, nLayer: 1, vocabSize: 20, contextLength: 8 } as const;

describe('tiling', () => {
  it('tiles a matrix into nOut x nIn scaled blocks, or its block diagonal', () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2x3
    expect([...tileMatrix(w, { rows: 2, cols: 3, nOut: 2, nIn: 2, scale: 0.5 })]).toEqual([
      0.5, 1, 1.5, 0.5, 1, 1.5, 2, 2.5, 3, 2, 2.5, 3, 0.5, 1, 1.5, 0.5, 1, 1.5, 2, 2.5, 3, 2, 2.5, 3,
    ]);
    expect([...tileMatrix(w, { rows: 2, cols: 3, nOut: 2, nIn: 2, scale: 0.5, diagonal: true })]).toEqual([
      1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6,
    ]);
    expect([...tileVector(Float32Array.from([1, 2]), 3)]).toEqual([1, 2, 1, 2, 1, 2]);
    expect(() => tileMatrix(w, { rows: 2, cols: 3, nOut: 1, nIn: 2, scale: 1, diagonal: true })).toThrow(/needs nOut == nIn/);
  });
});

/** The axis rules' growth: heads as the width and kv heads by the default rule unless given. */
const growth = (source: ModelConfig, width: number, ffn: number, heads = width, kvHeads: number | null = null): Growth => ({
  source,
  width,
  ffn,
  heads,
  kvHeads,
});

describe('clone rules', () => {
  it('grow every axis of the spec as cloneConfig grows the model', () => {
    for (const [partial, width, ffn, heads, kvHeads] of [
      [gqa, 3, 2, 3, null],
      [{ ...gqa, nKvHead: 1 }, 2, 4, 2, null],
      [gpt, 4, 1, 4, null],
      [gqa, 1, 1, 2, null],
      [gqa, 2, 2, 3, 3],
      [{ ...gqa, nKvHead: 1 }, 2, 2, 2, 4],
      [{ ...gpt, embedDim: 6, normPlacement: 'post', finalNorm: false }, 2, 2, 2, null],
      [{ ...gqa, qkNorm: true, normPlacement: 'after', scaleEmbedding: true, normGainPlusOne: true }, 3, 1, 3, null],
    ] as const) {
      const source = resolveConfig(partial);
      const g = growth(source, width, ffn, heads, kvHeads);
      const before = axisSizes(source);
      const after = axisSizes(cloneConfig(g, 'keep'));
      for (const axis of Object.keys(AXIS_RULES) as (keyof typeof AXIS_RULES)[]) {
        expect(after[axis], axis).toBe(before[axis] * AXIS_RULES[axis].copies(g));
      }
    }
  });

  it('divide a linear layer by the copies of its input axis, never an embedding, and keep the variants off the head', () => {
    const source = resolveConfig({ ...gqa, nKvHead: 1 });
    const wide = new Map(paramSpec(cloneConfig(growth(source, 2, 3), 'keep')).map((s) => [s.name, s]));
    const rule = (name: string) => cloneRule(wide.get(name)!, growth(source, 2, 3));
    expect(rule('tok_emb.weight')).toEqual({ copies: [1, 2], scale: 1, variants: false });
    expect(rule('blocks.0.attn.q.weight')).toEqual({ copies: [2, 2], scale: 0.5, variants: true });
    expect(rule('blocks.0.attn.k.weight')).toEqual({ copies: [1, 2], scale: 0.5, variants: true }); // MQA: one kv head
    expect(rule('blocks.0.mlp.down.weight')).toEqual({ copies: [2, 3], scale: 1 / 3, variants: true });
    expect(rule('blocks.0.norm2.weight')).toEqual({ copies: [2], scale: 1, variants: false });
    expect(rule('lm_head.weight')).toEqual({ copies: [1, 2], scale: 0.5, variants: false });
  });

  it('grow the heads apart from the width: q and kv by the heads, o reads them back', () => {
    const source = resolveConfig(gqa);
    const g = growth(source, 1, 1, 3);
    const wide = new Map(paramSpec(cloneConfig(g, 'keep')).map((s) => [s.name, s]));
    const rule = (name: string) => cloneRule(wide.get(name)!, g);
    expect(rule('blocks.0.attn.q.weight')).toEqual({ copies: [3, 1], scale: 1, variants: true });
    expect(rule('blocks.0.attn.v.weight')).toEqual({ copies: [3, 1], scale: 1, variants: true });
    expect(rule('blocks.0.attn.o.weight')).toEqual({ copies: [1, 3], scale: 1 / 3, variants: true });
    expect(rule('blocks.0.mlp.up.weight')).toEqual({ copies: [1, 1], scale: 1, variants: true });
  });

  it("keep OPT-350M's projected embedding as wide as it was: proj_in writes copies, proj_out reads them back", () => {
    const source = resolveConfig({ ...gpt, embedDim: 6, normPlacement: 'post', finalNorm: false });
    const wide = new Map(paramSpec(cloneConfig(growth(source, 2, 2), 'keep')).map((s) => [s.name, s]));
    const rule = (name: string) => cloneRule(wide.get(name)!, growth(source, 2, 2));
    expect(rule('tok_emb.weight')).toEqual({ copies: [1, 1], scale: 1, variants: false });
    expect(rule('proj_in.weight')).toEqual({ copies: [2, 1], scale: 1, variants: true });
    expect(rule('proj_out.weight')).toEqual({ copies: [1, 2], scale: 0.5, variants: true });
    expect(rule('pos_emb.weight')).toEqual({ copies: [1, 2], scale: 1, variants: false });
  });

  it("divide Gemma's scaled token embedding by sqrt(width), tile its (1 + w) gains and the q/k norms over the grown projections", () => {
    const source = resolveConfig({ ...gqa, tieEmbeddings: true, scaleEmbedding: true, normGainPlusOne: true, qkNorm: true });
    const wide = new Map(paramSpec(cloneConfig(growth(source, 4, 2), 'keep')).map((s) => [s.name, s]));
    const rule = (name: string) => cloneRule(wide.get(name)!, growth(source, 4, 2));
    expect(rule('tok_emb.weight')).toEqual({ copies: [1, 4], scale: 0.5, variants: false });
    expect(rule('blocks.0.norm1.weight')).toEqual({ copies: [4], scale: 1, variants: false });
    expect(rule('blocks.0.attn.q_norm.weight')).toEqual({ copies: [4], scale: 1, variants: false });
    expect(rule('blocks.0.attn.k_norm.weight')).toEqual({ copies: [4], scale: 1, variants: false });
  });
});

describe('cloneConfig', () => {
  it('multiplies width and heads, keeps head_dim and depth, keeps a single MQA kv head', () => {
    const c = cloneConfig(growth(resolveConfig(gqa), 3, 2), 'keep');
    expect([c.dModel, c.nHead, c.nKvHead, c.headDim, c.dFF, c.nLayer]).toEqual([48, 12, 6, 4, 48, 2]);
    const mqa = cloneConfig(growth(resolveConfig({ ...gqa, nKvHead: 1 }), 4, 4), 'keep');
    expect([mqa.nHead, mqa.nKvHead]).toEqual([16, 1]);
  });

  it('multiplies the heads alone (head_dim kept, so H·D exceeds dModel), and kv heads only as the query heads unless there is one', () => {
    const c = cloneConfig(growth(resolveConfig(gqa), 1, 1, 2), 'keep');
    expect([c.dModel, c.nHead, c.nKvHead, c.headDim, c.dFF]).toEqual([16, 8, 4, 4, 24]);
    const mqa = cloneConfig(growth(resolveConfig({ ...gqa, nKvHead: 1 }), 1, 1, 2, 4), 'keep');
    expect([mqa.nHead, mqa.nKvHead]).toEqual([8, 4]);
    expect(() => cloneConfig(growth(resolveConfig(gqa), 1, 1, 2, 1), 'keep')).toThrow(
      /kvHeads 1 must equal heads 2 .*unless the source has a single \(MQA\) kv head \(it has 2\)/,
    );
  });

  it('scales logits by 1/width for a tied clone, or unties it', () => {
    const tied = resolveConfig(gpt);
    expect(cloneConfig(growth(tied, 4, 4), 'keep')).toMatchObject({ tieEmbeddings: true, logitScale: 0.25 });
    expect(cloneConfig(growth(tied, 4, 4), 'untie')).toMatchObject({ tieEmbeddings: false, logitScale: 1 });
  });

  it("scales a tied Gemma clone's logits by 1/sqrt(width) and leaves a tied head on OPT-350M's projected embedding alone", () => {
    const gemma = resolveConfig({ ...gqa, tieEmbeddings: true, scaleEmbedding: true });
    expect(cloneConfig(growth(gemma, 4, 4), 'keep')).toMatchObject({ tieEmbeddings: true, logitScale: 0.5, scaleEmbedding: true });
    const projected = resolveConfig({ ...gpt, embedDim: 6 });
    expect(cloneConfig(growth(projected, 2, 2), 'keep')).toMatchObject({ tieEmbeddings: true, logitScale: 1, embedDim: 6, dModel: 24 });
  });
});

describe('cloneWeights', () => {
  it('follows every rule: embeddings undivided, hidden linears tile/n_in, biases and norms tiled, head /n_e', () => {
    const src = model({ ...gpt, tieEmbeddings: false });
    const { config, weights } = cloneWeights(src.config, src.weights, { width: 2, ffn: 3 });
    const C = 12;
    // token embedding: row v is [E_v, E_v]
    const e = f32(src.weights.get('tok_emb.weight')!);
    const e2 = f32(weights.get('tok_emb.weight')!);
    expect(e2.subarray(5 * 2 * C, 5 * 2 * C + C)).toEqual(e.subarray(5 * C, 6 * C));
    expect(e2.subarray(5 * 2 * C + C, 6 * 2 * C)).toEqual(e.subarray(5 * C, 6 * C));
    // head: tile(W, 1, 2) / 2
    expect(f32(weights.get('lm_head.weight')!)[C + 3]).toBeCloseTo(f32(src.weights.get('lm_head.weight')!)[3]! / 2, 7);
    // mlp.up [4C, C] -> [3·4C, 2C]: row-block 2, column-block 1 is W / 2
    const up = f32(src.weights.get('blocks.0.mlp.up.weight')!);
    const up2 = f32(weights.get('blocks.0.mlp.up.weight')!);
    expect(weights.get('blocks.0.mlp.up.weight')!.shape).toEqual([144, 24]);
    expect(up2[(2 * 48 + 7) * 24 + 12 + 5]).toBe(Math.fround(up[7 * 12 + 5]! / 2));
    // down [C, 4C] -> [2C, 3·4C]: divided by n_in = ffn = 3
    expect(f32(weights.get('blocks.0.mlp.down.weight')!)[(12 + 1) * 144 + 2 * 48 + 9]).toBe(
      Math.fround(f32(src.weights.get('blocks.0.mlp.down.weight')!)[1 * 48 + 9]! / 3),
    );
    expect(weights.get('blocks.0.mlp.up.bias')!.shape).toEqual([144]);
    expect(weights.get('blocks.0.norm1.bias')!.shape).toEqual([24]);
    expect(config.logitScale).toBe(1);
  });

  it('lays q out head-major so destination head r·H + h copies source head h, and GQA kv heads follow', () => {
    const src = model(gqa);
    const { config, weights } = cloneWeights(src.config, src.weights, { width: 2 });
    const D = 4;
    const q = f32(src.weights.get('blocks.1.attn.q.weight')!); // (4·4, 16)
    const q2 = f32(weights.get('blocks.1.attn.q.weight')!); // (8·4, 32)
    const k = f32(src.weights.get('blocks.1.attn.k.weight')!); // (2·4, 16)
    const k2 = f32(weights.get('blocks.1.attn.k.weight')!); // (4·4, 32)
    const group = config.nHead / config.nKvHead;
    for (let r = 0; r < 2; r++) {
      for (let h = 0; h < 4; h++) {
        const dst = r * 4 + h;
        const row = (dst * D + 1) * 32;
        expect(q2[row + 16 + 3]).toBe(Math.fround(q[(h * D + 1) * 16 + 3]! / 2));
        // the forward pairs q-head dst with kv-head floor(dst / group); it must be a copy of source kv-head floor(h / 2)
        const kvDst = Math.floor(dst / group);
        expect(kvDst).toBe(r * 2 + Math.floor(h / 2));
        expect(k2[(kvDst * D + 2) * 32 + 5]).toBe(Math.fround(k[(Math.floor(h / 2) * D + 2) * 16 + 5]! / 2));
      }
    }
  });

  it('keeps the column blocks of every row-block summing to W under every variant', () => {
    const src = model(gqa);
    const W = f32(src.weights.get('blocks.0.attn.o.weight')!); // (16, 16)
    for (const variant of ['symmetric', 'noisy-symmetric', 'diagonal', 'noisy-diagonal'] as const) {
      const wide = f32(cloneWeights(src.config, src.weights, { width: 3, variant, seed: 4 }).weights.get('blocks.0.attn.o.weight')!); // (48, 48)
      let maxErr = 0;
      for (let r = 0; r < 3; r++) {
        for (let i = 0; i < 16; i++) {
          for (let j = 0; j < 16; j++) {
            let s = 0;
            for (let c = 0; c < 3; c++) s += wide[(r * 16 + i) * 48 + c * 16 + j]!;
            maxErr = Math.max(maxErr, Math.abs(s - W[i * 16 + j]!));
          }
        }
      }
      expect(maxErr, variant).toBeLessThan(1e-7);
    }
  });

  it('adds paired noise at the requested SNR (within 0.5 dB), only to hidden linear weights', () => {
    const src = model({ ...gqa, dModel: 32, nHead: 8, nKvHead: 4 });
    for (const snrDb of [0, 10, 20]) {
      const plain = cloneWeights(src.config, src.weights, { width: 3, ffn: 2 }).weights;
      const noisy = cloneWeights(src.config, src.weights, { width: 3, ffn: 2, variant: 'noisy-symmetric', snrDb, seed: 9 }).weights;
      for (const name of ['blocks.0.attn.q.weight', 'blocks.1.mlp.down.weight', 'blocks.1.mlp.gate.weight']) {
        const [rows, cols] = src.weights.get(name)!.shape as [number, number];
        const [wideRows, wideCols] = noisy.get(name)!.shape as [number, number];
        const nIn = wideCols / cols;
        const a = f32(plain.get(name)!);
        const b = f32(noisy.get(name)!);
        // block (0, 0): signal B = W / nIn, noise = noisy - symmetric
        let signal = 0;
        let noise = 0;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            signal += a[i * wideCols + j]! ** 2;
            noise += (b[i * wideCols + j]! - a[i * wideCols + j]!) ** 2;
          }
        }
        const measuredDb = 10 * Math.log10(signal / noise);
        expect(Math.abs(measuredDb - snrDb), `${name} at ${snrDb} dB measured ${measuredDb}`).toBeLessThan(0.5);
        // odd nIn = 3: the last column block of each row-block gets no noise; the first two do
        const at = (i: number, c: number, j: number): number => (rows + i) * wideCols + c * cols + j;
        if (nIn === 3) expect(b[at(1, 2, 2)]).toBe(a[at(1, 2, 2)]);
        expect(b[at(1, 0, 2)]).not.toBe(a[at(1, 0, 2)]);
        expect(b[at(1, 0, 2)]! - a[at(1, 0, 2)]!).toBeCloseTo(a[at(1, 1, 2)]! - b[at(1, 1, 2)]!, 6);
        expect(wideRows).toBeGreaterThan(rows);
      }
      for (const name of ['tok_emb.weight', 'lm_head.weight', 'blocks.0.norm1.weight', 'norm_f.weight']) {
        expect(f32(noisy.get(name)!), name).toEqual(f32(plain.get(name)!));
      }
    }
  });

  it('gives the same noise for the same seed and different noise for another', () => {
    const src = model(gqa);
    const q = (seed: number): Float32Array =>
      f32(cloneWeights(src.config, src.weights, { width: 2, variant: 'noisy-symmetric', seed }).weights.get('blocks.0.attn.q.weight')!);
    expect(q(3)).toEqual(q(3));
    expect(q(3)).not.toEqual(q(4));
  });

  it('falls back to symmetric where a diagonal cannot apply, says which, and warns', () => {
    const src = model({ ...gqa, nKvHead: 1 });
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (obj: object) => warnings.push(obj) };
    const { weights, fallbacks } = cloneWeights(src.config, src.weights, { width: 2, ffn: 3, variant: 'diagonal', logger });
    expect(fallbacks).toEqual([
      'blocks.0.attn.k.weight',
      'blocks.0.attn.v.weight',
      'blocks.0.mlp.up.weight',
      'blocks.0.mlp.gate.weight',
      'blocks.0.mlp.down.weight',
      'blocks.1.attn.k.weight',
      'blocks.1.attn.v.weight',
      'blocks.1.mlp.up.weight',
      'blocks.1.mlp.gate.weight',
      'blocks.1.mlp.down.weight',
    ]);
    expect(warnings).toEqual([{ variant: 'diagonal', fallbacks }]);
    // q is diagonal: block (0, 1) is zero, block (1, 1) is W
    const q = f32(src.weights.get('blocks.0.attn.q.weight')!);
    const q2 = f32(weights.get('blocks.0.attn.q.weight')!);
    expect(q2[16 + 4]).toBe(0);
    expect(q2[16 * 32 + 16 + 4]).toBe(q[4]);
    expect(cloneWeights(src.config, src.weights, { width: 2, variant: 'symmetric', logger }).fallbacks).toEqual([]);
  });

  it('cloning twice by 2 gives exactly the weights of one 4x symmetric clone', () => {
    const src = model({ ...gpt, nHead: 2, dModel: 8 });
    const twice = cloneWeights(
      cloneWeights(src.config, src.weights, { width: 2 }).config,
      cloneWeights(src.config, src.weights, { width: 2 }).weights,
      { width: 2 },
    );
    const once = cloneWeights(src.config, src.weights, { width: 4 });
    expect(twice.config).toEqual(once.config);
    for (const [name, t] of once.weights) expect(f32(twice.weights.get(name)!), name).toEqual(f32(t));
  });

  it('rejects fractional or zero multipliers, unknown variants, stray options and mismatched shapes', () => {
    const src = model(gpt);
    expect(() => cloneWeights(src.config, src.weights, { width: 1.5 })).toThrow(
      /width must be an integer >= 1 \(got 1.5\).*whole-number multipliers/,
    );
    expect(() => cloneWeights(src.config, src.weights, { width: 0 })).toThrow(/width must be an integer >= 1 \(got 0\)/);
    expect(() => cloneWeights(src.config, src.weights, { width: 2, ffn: 0.5 })).toThrow(/ffn must be an integer >= 1/);
    expect(() => cloneWeights(src.config, src.weights, { width: 2, variant: 'wide' as 'symmetric' })).toThrow(
      /unknown hyperclone variant "wide"/,
    );
    expect(() => cloneWeights(src.config, src.weights, { width: 2, snrDb: 10 })).toThrow(/snrDb only applies to the noisy variants/);
    expect(() => cloneWeights(src.config, src.weights, { width: 2, tie: 'both' as 'keep' })).toThrow(/tie must be "keep" or "untie"/);
    const bad = new Map(src.weights);
    bad.set('blocks.0.attn.q.weight', { dtype: 'float32', shape: [12, 6], data: new Float32Array(72) });
    expect(() => cloneWeights(src.config, bad, { width: 2 })).toThrow(/blocks.0.attn.q.weight is \[12, 6\], config says \[12, 12\]/);
    const missing = new Map(src.weights);
    missing.delete('norm_f.weight');
    expect(() => cloneWeights(src.config, missing, { width: 2 })).toThrow(/missing norm_f.weight/);
  });
});

describe('symmetryReport', () => {
  it('is exactly 1 after symmetric cloning, below 1 with noise, 0 for a fresh diagonal', () => {
    const src = model({ ...gqa, tieEmbeddings: true });
    const sym = cloneWeights(src.config, src.weights, { width: 2, ffn: 3 });
    const r = symmetryReport(sym.weights, sym.config, sym.clone);
    expect(r.overall).toBeCloseTo(1, 6);
    expect(r.layers.map((l) => l.layer)).toEqual(['embeddings', 'blocks.0', 'blocks.1']);
    expect(r.matrices.find((m) => m.name === 'blocks.0.mlp.down.weight')!.nIn).toBe(3);
    const noisy = cloneWeights(src.config, src.weights, { width: 2, variant: 'noisy-symmetric', snrDb: 10 });
    const rn = symmetryReport(noisy.weights, noisy.config, noisy.clone);
    // B + N against B - N with |N|² = |B|²/10: cosine (1 - 0.1) / (1 + 0.1) = 0.818; embeddings stay 1
    expect(rn.layers[1]!.similarity).toBeCloseTo(0.818, 1);
    const diag = cloneWeights(src.config, src.weights, { width: 2, variant: 'diagonal' });
    expect(symmetryReport(diag.weights, diag.config, diag.clone).layers[1]!.similarity).toBe(0);
  });

  it('rejects weights that are not the recorded clone', () => {
    const src = model(gpt);
    const sym = cloneWeights(src.config, src.weights, { width: 2 });
    expect(() => symmetryReport(src.weights, src.config, sym.clone)).toThrow(/is not a 2x\/2x clone of its recorded source/);
  });
});
