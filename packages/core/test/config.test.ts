// Model configs, presets and the parameter spec (names, shapes from axes, stream use), plus the FLOP count.
// Not the forward pass (the backends' parity and conformance tests run that).
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../src/index.js';
import {
  activationOf,
  axisSizes,
  countParams,
  getPreset,
  hasBias,
  matmulParams,
  paramSpec,
  positionOffsetOf,
  PRESETS,
  resolveConfig,
  ropeDimsOf,
  trainFlopsPerToken,
} from '../src/index.js';

describe('model config', () => {
  it('gpt2-124m has the published parameter count', () => {
    // 124,439,808 with the tied head (the HF GPT-2 small count)
    expect(countParams(getPreset('gpt2-124m'))).toBe(124_439_808);
  });

  it('every CPU preset has a 2x-wider sibling with the same depth and head dim', () => {
    for (const [small, wide] of [
      ['cpu-128', 'cpu-256'],
      ['cpu-256', 'cpu-512'],
      ['llama-cpu-128', 'llama-cpu-256'],
    ] as const) {
      const a = getPreset(small);
      const b = getPreset(wide);
      expect(b.dModel).toBe(2 * a.dModel);
      expect(b.nHead).toBe(2 * a.nHead);
      expect(b.nKvHead).toBe(2 * a.nKvHead);
      expect(b.dFF).toBe(2 * a.dFF);
      expect(b.headDim).toBe(a.headDim);
      expect(b.nLayer).toBe(a.nLayer);
    }
  });

  it('rejects unknown presets and bad configs with the reason', () => {
    expect(() => resolveConfig('nope')).toThrow(/unknown model preset "nope"/);
    expect(() => resolveConfig({ ...getPreset('tiny'), nKvHead: 3 })).toThrow(/multiple of nKvHead/);
    expect(() => resolveConfig({ ...getPreset('tiny'), dropout: 1 })).toThrow(/dropout/);
  });

  it('nHead that does not divide dModel says so (not a fractional headDim)', () => {
    expect(() => resolveConfig({ dModel: 64, nHead: 5, nLayer: 2 })).toThrow(
      /^invalid model config: nHead \(5\) must divide dModel \(64\): headDim = dModel \/ nHead = 12\.8; choose nHead among 1, 2, 4, 8, 16, 32, 64 or give headDim$/,
    );
  });

  it('a number given as a string says it must be a number, not a string', () => {
    expect(() => resolveConfig({ ...getPreset('tiny'), dModel: '64' as unknown as number })).toThrow(
      /invalid model config: dModel must be a number, not a string \(got "64"\)/,
    );
    expect(() => resolveConfig({ ...getPreset('tiny'), dropout: '0.1' as unknown as number })).toThrow(
      /dropout must be a number, not a string \(got "0\.1"\)/,
    );
  });

  it('an unknown field is refused, naming the nearest known one', () => {
    expect(() => resolveConfig({ ...getPreset('tiny'), n_head: 4 } as Partial<ModelConfig>)).toThrow(
      /^invalid model config: unknown field "n_head" \(did you mean "nHead"\?\)$/,
    );
    expect(() => resolveConfig({ ...getPreset('tiny'), dmodel: 4, zzz: 1 } as Partial<ModelConfig>)).toThrow(
      /unknown field "dmodel" \(did you mean "dModel"\?\); unknown field "zzz" \(known: vocabSize, contextLength, /,
    );
  });

  it('names parameters canonically and puts only 2-D weights in the decay group', () => {
    const spec = paramSpec(getPreset('tiny-llama'));
    expect(spec.map((s) => s.name)).toContain('blocks.1.mlp.gate.weight');
    expect(spec.map((s) => s.name)).toContain('lm_head.weight');
    expect(spec.find((s) => s.name === 'blocks.0.attn.k.weight')!.shape).toEqual([32, 64]);
    expect(spec.filter((s) => s.decay).every((s) => s.shape.length === 2)).toBe(true);
  });

  it('gives every dimension of every parameter an axis whose size is that dimension', () => {
    for (const [name, c] of Object.entries(PRESETS)) {
      const size = axisSizes(c);
      for (const s of paramSpec(c)) expect(s.shape, `${name} ${s.name}`).toEqual(s.axes.map((a) => size[a]));
    }
  });

  it('says which weights read, write or normalize the residual stream, and which block they are in', () => {
    const spec = new Map(paramSpec(getPreset('tiny')).map((s) => [s.name, s]));
    const use = (name: string): [string, string | null, number | null] => {
      const s = spec.get(name)!;
      return [s.kind, s.stream, s.block];
    };
    expect(use('tok_emb.weight')).toEqual(['embedding', 'writes', null]);
    expect(use('pos_emb.weight')).toEqual(['embedding', 'writes', null]);
    expect(use('blocks.1.norm1.bias')).toEqual(['norm', 'normalizes', 1]);
    expect(use('blocks.0.attn.q.weight')).toEqual(['linear', 'reads', 0]);
    expect(use('blocks.0.attn.q.bias')).toEqual(['bias', null, 0]);
    expect(use('blocks.0.attn.o.weight')).toEqual(['linear', 'writes', 0]);
    expect(use('blocks.0.attn.o.bias')).toEqual(['bias', 'writes', 0]);
    expect(use('blocks.1.mlp.up.weight')).toEqual(['linear', 'reads', 1]);
    expect(use('blocks.1.mlp.down.weight')).toEqual(['linear', 'writes', 1]);
    expect(use('norm_f.weight')).toEqual(['norm', 'normalizes', null]);
    const llama = paramSpec(getPreset('tiny-llama'));
    expect(llama.find((s) => s.name === 'lm_head.weight')).toMatchObject({
      kind: 'linear',
      axes: ['vocab', 'model'],
      stream: 'reads',
      block: null,
    });
    expect(llama.find((s) => s.name === 'blocks.0.attn.k.weight')!.axes).toEqual(['kv', 'model']);
    expect(paramSpec({ ...getPreset('tiny'), tieEmbeddings: false }).filter((s) => s.name.startsWith('lm_head'))).toHaveLength(1); // no head bias
    const through = (name: string) => llama.find((s) => s.name === name)!.readsThrough;
    expect(['blocks.1.attn.v.weight', 'blocks.1.mlp.gate.weight', 'lm_head.weight', 'blocks.1.mlp.down.weight'].map(through)).toEqual([
      'blocks.1.norm1',
      'blocks.1.norm2',
      'norm_f',
      null,
    ]);
    const headBias = paramSpec({ ...getPreset('tiny'), tieEmbeddings: false, headBias: true }).at(-1)!;
    expect(headBias).toMatchObject({ name: 'lm_head.bias', kind: 'bias', axes: ['vocab'], shape: [257], decay: false });
  });

  it('reads the Hugging Face extras with defaults that keep older configs meaning the same', () => {
    const tiny = getPreset('tiny');
    expect([activationOf(tiny), activationOf(getPreset('tiny-llama'))]).toEqual(['gelu-tanh', 'silu']);
    expect(ropeDimsOf(getPreset('tiny-llama'))).toBe(16);
    expect(positionOffsetOf(tiny)).toBe(0);
    expect(['qkv', 'o', 'mlp'].map((g) => hasBias(tiny, g as 'qkv'))).toEqual([true, true, true]);
    // OPT: pos_emb has contextLength + 2 rows; Qwen2: q/k/v biases only; no norm bias without `bias`
    const opt = resolveConfig({ ...tiny, positionOffset: 2, activation: 'relu' });
    expect(paramSpec(opt).find((s) => s.name === 'pos_emb.weight')!.shape).toEqual([130, 64]);
    const qwen = resolveConfig({ ...getPreset('tiny-llama'), qkvBias: true });
    const biases = paramSpec(qwen)
      .filter((s) => s.name.startsWith('blocks.0.') && s.name.endsWith('.bias'))
      .map((s) => s.name);
    expect(biases).toEqual(['blocks.0.attn.q.bias', 'blocks.0.attn.k.bias', 'blocks.0.attn.v.bias']);
    expect(paramSpec({ ...tiny, mlpBias: false }).some((s) => s.name === 'blocks.0.mlp.up.bias')).toBe(false);
  });

  it('refuses extras that do not fit the config, naming the field', () => {
    const llama = getPreset('tiny-llama');
    expect(() => resolveConfig({ ...llama, ropeDims: 3 })).toThrow(/ropeDims must be an even integer from 2 to headDim 16/);
    expect(() => resolveConfig({ ...llama, ropeDims: 32 })).toThrow(/ropeDims must be an even integer/);
    expect(() => resolveConfig({ ...getPreset('tiny'), ropeDims: 8 })).toThrow(/ropeDims needs position "rope"/);
    expect(() => resolveConfig({ ...llama, positionOffset: 2 })).toThrow(/positionOffset needs position "learned"/);
    expect(() => resolveConfig({ ...getPreset('tiny'), activation: 'tanh' as never })).toThrow(/activation must be one of gelu-tanh/);
  });

  it('lays out the block shapes and ends of OPT-350M, Gemma 2, OLMo 2 and Phi, and says what each norm feeds', () => {
    const names = (c: Partial<ModelConfig>, prefix: string) =>
      paramSpec(resolveConfig({ ...getPreset('tiny'), ...c }))
        .filter((s) => s.name.startsWith(prefix))
        .map((s) => s.name.slice(prefix.length));
    const post = paramSpec(resolveConfig({ ...getPreset('tiny'), normPlacement: 'post', finalNorm: false, embedDim: 32, bias: false }));
    expect(post.map((s) => s.name).filter((n) => !n.startsWith('blocks.'))).toEqual([
      'tok_emb.weight',
      'proj_in.weight',
      'pos_emb.weight',
      'proj_out.weight',
    ]);
    expect(post.find((s) => s.name === 'tok_emb.weight')).toMatchObject({ axes: ['vocab', 'embed'], shape: [257, 32], stream: null });
    expect(post.find((s) => s.name === 'proj_in.weight')).toMatchObject({ axes: ['model', 'embed'], stream: 'writes' });
    // post-norm: block 0 reads the embedding as it is, block 1 reads block 0's norm2, the head the last norm2
    const through = (spec: typeof post, name: string) => spec.find((s) => s.name === name)!.readsThrough;
    expect(
      ['blocks.0.attn.q.weight', 'blocks.0.mlp.up.weight', 'blocks.1.attn.q.weight', 'proj_out.weight'].map((n) => through(post, n)),
    ).toEqual([null, 'blocks.0.norm1', 'blocks.0.norm2', 'blocks.1.norm2']);
    expect(names({ normPlacement: 'sandwich', bias: false }, 'blocks.0.')).toEqual([
      'norm1.weight',
      'attn.q.weight',
      'attn.k.weight',
      'attn.v.weight',
      'attn.o.weight',
      'post_attn_norm.weight',
      'norm2.weight',
      'mlp.up.weight',
      'mlp.down.weight',
      'post_mlp_norm.weight',
    ]);
    const olmo2 = paramSpec(resolveConfig({ ...getPreset('tiny-llama'), normPlacement: 'after', qkNorm: true }));
    expect(olmo2.find((s) => s.name === 'blocks.0.attn.k_norm.weight')).toMatchObject({
      kind: 'norm',
      axes: ['kv'],
      shape: [32],
      stream: null,
    });
    expect(through(olmo2, 'blocks.1.mlp.gate.weight')).toBe(null);
    expect(names({ parallelResidual: true, parallelSharedNorm: true }, 'blocks.0.').filter((n) => n.startsWith('norm'))).toEqual([
      'norm1.weight',
      'norm1.bias',
    ]);
    expect(names({ normAffine: false }, '').filter((n) => n.includes('norm'))).toEqual([]);
    const gemma = paramSpec(resolveConfig({ ...getPreset('tiny-llama'), normGainPlusOne: true }));
    expect(gemma.find((s) => s.name === 'norm_f.weight')!.init).toBe('zeros'); // a gain of 1 + 0
  });

  it('refuses the new pieces where they do not fit, naming the field', () => {
    const tiny = getPreset('tiny');
    const llama = getPreset('tiny-llama');
    expect(() => resolveConfig({ ...tiny, normPlacement: 'middle' as never })).toThrow(
      /normPlacement must be one of pre, post, sandwich, after/,
    );
    expect(() => resolveConfig({ ...tiny, parallelResidual: true, normPlacement: 'post' })).toThrow(
      /parallelResidual needs normPlacement "pre"/,
    );
    expect(() => resolveConfig({ ...tiny, parallelSharedNorm: true })).toThrow(/parallelSharedNorm needs parallelResidual/);
    expect(() => resolveConfig({ ...tiny, normAffine: false, normGainPlusOne: true })).toThrow(/normGainPlusOne needs normAffine/);
    expect(() => resolveConfig({ ...tiny, attnSoftcap: -1 })).toThrow(/attnSoftcap must be a positive number/);
    expect(() => resolveConfig({ ...tiny, layerTypes: ['full', 'full'] })).toThrow(/layerTypes needs slidingWindow/);
    expect(() => resolveConfig({ ...tiny, slidingWindow: 4, layerTypes: ['full'] })).toThrow(
      /layerTypes must list "full" or "sliding" for each of the 2 layers/,
    );
    expect(() => resolveConfig({ ...tiny, ropeScaling: { type: 'linear', factor: 2 } })).toThrow(/ropeScaling needs position "rope"/);
    expect(() => resolveConfig({ ...llama, ropeScaling: { type: 'ntk' } as never })).toThrow(
      /ropeScaling.type must be one of linear, dynamic/,
    );
    expect(() =>
      resolveConfig({
        ...llama,
        ropeScaling: { type: 'longrope', shortFactor: [1], longFactor: [1], attentionFactor: 1, originalContextLength: 8 },
      }),
    ).toThrow(/ropeScaling.shortFactor must hold 8 positive numbers, one per rotated pair/);
  });

  it('counts the matmul parameters of the spec: block linears and the head, a tied embedding once', () => {
    const tied = getPreset('tiny');
    const blocks = 2 * (4 * 64 * 64 + 2 * 64 * 256);
    expect(matmulParams(tied)).toBe(blocks + 257 * 64);
    expect(matmulParams({ ...tied, tieEmbeddings: false })).toBe(blocks + 257 * 64);
    expect(matmulParams(getPreset('tiny-llama'))).toBe(2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 192) + 257 * 64);
  });

  it('counts 6N plus attention FLOPs per token', () => {
    const c = getPreset('gpt2-124m');
    // nanoGPT-style: 6·(85M block weights + 38.6M head) + 12·12·768·1024
    expect(trainFlopsPerToken(c, 1024)).toBe(6 * (12 * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768) + 12 * 12 * 768 * 1024);
  });

  it('counts a sliding-window layer against its window, a full layer against T', () => {
    const c = getPreset('tiny-llama');
    const matmuls = 6 * matmulParams(c);
    const q = c.nHead * c.headDim;
    expect(trainFlopsPerToken({ ...c, slidingWindow: 16 }, 64)).toBe(matmuls + 12 * q * (16 + 16));
    expect(trainFlopsPerToken({ ...c, slidingWindow: 16, layerTypes: ['sliding', 'full'] }, 64)).toBe(matmuls + 12 * q * (16 + 64));
    expect(trainFlopsPerToken({ ...c, slidingWindow: 128 }, 64)).toBe(trainFlopsPerToken(c, 64)); // wider than T: no saving
  });
});
