import { describe, expect, it } from 'vitest';
import { countParams, getPreset, paramSpec, resolveConfig, trainFlopsPerToken } from '../src/index.js';

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

  it('names parameters canonically and puts only 2-D weights in the decay group', () => {
    const spec = paramSpec(getPreset('tiny-llama'));
    expect(spec.map((s) => s.name)).toContain('blocks.1.mlp.gate.weight');
    expect(spec.map((s) => s.name)).toContain('lm_head.weight');
    expect(spec.find((s) => s.name === 'blocks.0.attn.k.weight')!.shape).toEqual([32, 64]);
    expect(spec.filter((s) => s.decay).every((s) => s.shape.length === 2)).toBe(true);
  });

  it('counts 6N plus attention FLOPs per token', () => {
    const c = getPreset('gpt2-124m');
    // nanoGPT-style: 6·(85M block weights + 38.6M head) + 12·12·768·1024
    expect(trainFlopsPerToken(c, 1024)).toBe(6 * (12 * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768) + 12 * 12 * 768 * 1024);
  });
});
