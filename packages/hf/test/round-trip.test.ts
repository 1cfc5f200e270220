// Export -> import round trips bit-identical (every family, every storage dtype the value fits), what export folds,
// and which family it picks. Not parity with the reference (parity.test.ts, reference.test.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig, StateDict } from '@hyperclone/core';
import { SafetensorsFile, getPreset, narrowFloats, resolveConfig, widenHalves } from '@hyperclone/core';
import { randomInit } from '@hyperclone/init';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseFamily, readHuggingFace, writeHuggingFace, type ExportDtype } from '../src/index.js';
import { HF_FIXTURES, fixtureDir } from './helpers/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hf-round-trip-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `out-${n++}`);

function expectSameWeights(a: StateDict, b: StateDict): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    expect(u.shape, name).toEqual(t.shape);
    expect(
      Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      ),
      name,
    ).toBe(true);
  }
}

const STORED: Record<string, ExportDtype> = {
  'gpt2-untied-fp16': 'float16',
  'opt-untied-fp16': 'float16',
  'llama-mqa-tied-bf16': 'bfloat16',
  'opt-tied-bin-fp16': 'float16',
  'llama-bin-sharded-bf16': 'bfloat16',
  'opt-plain-ln-bf16': 'bfloat16',
  'gemma-biased-untied-bf16': 'bfloat16',
  'olmo-gqa-biased-bf16': 'bfloat16',
  'phi4-mini-partial-bf16': 'bfloat16',
};

describe('export -> import', () => {
  for (const name of HF_FIXTURES) {
    it(`${name}: config and weights come back bit-identical (float32, and the fixture's own dtype)`, async () => {
      const m = await readHuggingFace(fixtureDir(name));
      for (const dtype of new Set<ExportDtype>(['float32', STORED[name] ?? 'float32'])) {
        const out = fresh();
        const result = await writeHuggingFace(out, m.config, m.weights, { dtype, origin: m.origin, files: m.files });
        expect(result.family).toBe(m.family);
        expect(result.architecture).toBe(m.architecture);
        expect(result.folds).toEqual([]);
        const back = await readHuggingFace(out);
        expect(back.config).toEqual(m.config);
        expectSameWeights(m.weights, back.weights);
        expect(Object.keys(back.files).sort()).toEqual(Object.keys(m.files).sort());
        const hf = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
        expect(hf['torch_dtype']).toBe(dtype);
        const f = SafetensorsFile.open(join(out, 'model.safetensors'));
        expect(f.metadata).toEqual({ format: 'pt' }); // from_pretrained refuses safetensors without it
        expect(new Set([...f.entries.values()].map((e) => e.dtype))).toEqual(
          new Set([{ float32: 'F32', float16: 'F16', bfloat16: 'BF16' }[dtype]]),
        );
        f.close();
      }
    });
  }

  it('every family writes float16 and bfloat16 and reads them back: each weight rounded to nearest even, once', async () => {
    const one = [
      'opt-350m-postln',
      'gemma-gqa-tied',
      'gemma2-mqa-tied',
      'olmo-clip-tied',
      'olmo2-gqa',
      'phi2-gqa-untied',
      'phi3-longrope-window',
    ];
    for (const name of one) {
      const m = await readHuggingFace(fixtureDir(name));
      for (const [dtype, code] of [
        ['float16', 'F16'],
        ['bfloat16', 'BF16'],
      ] as const) {
        const out = fresh();
        await writeHuggingFace(out, m.config, m.weights, { dtype, origin: m.origin });
        const back = await readHuggingFace(out);
        expect(back.config, `${name} ${dtype}`).toEqual(m.config);
        for (const [param, t] of m.weights) {
          const halves = new Uint16Array(t.data.length);
          narrowFloats(t.data as Float32Array, code, halves);
          const rounded = new Float32Array(t.data.length);
          widenHalves(halves, code, rounded);
          expect(back.weights.get(param)!.data, `${name} ${dtype} ${param}`).toEqual(rounded);
        }
      }
    }
  });

  it('random-init models of our own presets export to the family that holds them and come back the same', async () => {
    const cases: [ModelConfig, string][] = [
      [getPreset('tiny'), 'gpt2'],
      [{ ...getPreset('tiny'), tieEmbeddings: false }, 'gpt2'],
      [getPreset('tiny-llama'), 'llama'],
      [resolveConfig({ ...getPreset('tiny-llama'), qkvBias: true }), 'llama'],
      [
        resolveConfig({ ...getPreset('tiny'), position: 'rope', ropeDims: 8, parallelResidual: true, activation: 'gelu-exact' }),
        'gpt_neox',
      ],
      [resolveConfig({ ...getPreset('tiny'), positionOffset: 2, activation: 'relu' }), 'opt'],
    ];
    for (const [config, family] of cases) {
      const m = await randomInit(config, { seed: 3 }).load();
      const out = fresh();
      const result = await writeHuggingFace(out, m.config, m.weights);
      expect(result.family, JSON.stringify(config)).toBe(family);
      const back = await readHuggingFace(out);
      expect(back.config).toEqual(m.config);
      expectSameWeights(m.weights, back.weights);
    }
  });

  it('folds a logit scale into an untied head and says so; refuses a family that cannot hold the model', async () => {
    const m = await randomInit({ ...getPreset('tiny'), logitScale: 0.5 }, { seed: 1 }).load();
    const out = fresh();
    const result = await writeHuggingFace(out, m.config, m.weights);
    expect(result.folds.join(' ')).toMatch(/logitScale 0.5 folded into an untied lm_head/);
    const back = await readHuggingFace(out);
    expect(back.config).toMatchObject({ tieEmbeddings: false, logitScale: 1 });
    const emb = m.weights.get('tok_emb.weight')!.data as Float32Array;
    const head = back.weights.get('lm_head.weight')!.data as Float32Array;
    expect(head[7]).toBe(Math.fround(emb[7]! * 0.5));
    expect(() => chooseFamily(getPreset('tiny-llama'), { family: 'gpt2' })).toThrow(
      /cannot export as GPT-2: GPT-2 normalizes with LayerNorm/,
    );
    const none = resolveConfig({ ...getPreset('tiny-llama'), parallelResidual: true });
    expect(() => chooseFamily(none, {})).toThrow(/no Hugging Face family can hold this model: GPT-2: .*Llama: Llama blocks are sequential/);
    const headBias = resolveConfig({ ...getPreset('tiny'), tieEmbeddings: false, headBias: true }); // a rotated GPT-style clone
    expect(() => chooseFamily(headBias, {})).toThrow(/GPT-2: GPT-2's LM head has no bias/);
  });

  it('names the piece a family cannot hold, and picks the family that can (a post-LN model with a projected embedding: OPT)', () => {
    const postLn = resolveConfig({ ...getPreset('tiny'), normPlacement: 'post', finalNorm: false, embedDim: 32, positionOffset: 2 });
    expect(() => chooseFamily(postLn, { family: 'gpt2' })).toThrow(/^cannot export as GPT-2: GPT-2 cannot hold post-norm blocks$/);
    expect(chooseFamily(postLn, {}).name).toBe('opt');
    const gemma2 = resolveConfig({ ...getPreset('tiny-llama'), normPlacement: 'sandwich', normGainPlusOne: true, scaleEmbedding: true });
    expect(chooseFamily(gemma2, {}).name).toBe('gemma');
    expect(() => chooseFamily({ ...gemma2, qkNorm: true }, { family: 'gemma' })).toThrow(
      /^cannot export as Gemma: Gemma 2 cannot hold q\/k norms$/,
    );
    const deeper = { ...gemma2, activation: 'gelu-tanh' as const, slidingWindow: 4, layerTypes: ['sliding' as const, 'sliding' as const] };
    expect(() => chooseFamily(deeper, { family: 'gemma' })).toThrow(/Gemma 2 slides its even layers only/);
    expect(chooseFamily({ ...deeper, layerTypes: ['sliding', 'full'] }, {}).name).toBe('gemma');
    expect(() => chooseFamily({ ...postLn, finalNorm: true }, { family: 'opt' })).toThrow(
      /post-LN OPT \(do_layer_norm_before false\) has no final norm/,
    );
  });
});
