// Clones of the GPT-2-style and Llama-style (GQA) presets on held-out Tiny Shakespeare: through a
// checkpoint round trip, and cloned twice by 2 against once by 4, the function stays the same.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '@hyperclone/core';
import { saveCheckpoint } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromCheckpoint, hyperclone, randomInit, symmetryReport, type GrowthOptions } from '../src/index.js';
import { comparePreservation } from './helpers/compare.js';
import { realTokens, runModel, type ModelRun } from './helpers/run-model.js';

let b: Backend;
let root: string;
beforeAll(async () => {
  b = await createTfjsBackend();
  root = await mkdtemp(join(tmpdir(), 'hyperclone-presets-'));
});
afterAll(async () => {
  b?.close();
  await rm(root, { recursive: true, force: true });
});

const B = 2;
const T = 64;
const { inputs, targets } = realTokens(B, T, 99);

function expectPreserved(src: ModelRun, wide: ModelRun, C: number, width: number): void {
  const p = comparePreservation(src, wide, 257, C, width);
  expect(p.maxAbsLogit).toBeLessThanOrEqual(1e-4);
  expect(p.top1Mismatches).toBe(0);
  expect(p.lossDiff).toBeLessThanOrEqual(1e-5);
  expect(p.maxHidden).toBeLessThan(1e-5);
}

describe.each(['tiny', 'tiny-llama'])('cloning the %s preset', (preset) => {
  it('keeps the function through a checkpoint round trip (width 3, ffn 2, noisy-symmetric)', async () => {
    const small = await randomInit(preset, { seed: 11 }).load();
    const options: GrowthOptions = { width: 3, ffn: 2, variant: 'noisy-symmetric', seed: 1 };
    const clone = await hyperclone(small, options).load();
    const dir = join(root, `${preset}-w3`);
    await saveCheckpoint(dir, { config: clone.config, weights: clone.weights, origin: clone.origin });
    const back = await fromCheckpoint(dir).load();
    expect(back.config).toEqual(clone.config);
    expect(back.clone).toEqual(clone.clone);
    const src = runModel(b, small.config, small.weights, inputs, targets, B);
    expectPreserved(src, runModel(b, back.config, back.weights, inputs, targets, B), small.config.dModel, 3);
    // the paired noise moved the copies apart: symmetry below 1 in the blocks, still 1 in the embeddings
    const report = symmetryReport(back.weights, back.config, back.clone!);
    expect(report.layers[0]).toEqual({ layer: 'embeddings', similarity: 1 });
    expect(report.layers[1]!.similarity).toBeLessThan(0.95);
  });

  it('grown 2x wide, 2x deep and rotated keeps the logits through a checkpoint round trip', async () => {
    const small = await randomInit(preset, { seed: 14 }).load();
    const grown = await hyperclone(small, {
      width: 2,
      depth: 2,
      placement: 'stack',
      variant: 'noisy-symmetric',
      rotate: true,
      seed: 5,
    }).load();
    const dir = join(root, `${preset}-grown`);
    await saveCheckpoint(dir, { config: grown.config, weights: grown.weights, origin: grown.origin });
    const back = await fromCheckpoint(dir).load();
    expect(back.clone).toEqual(grown.clone);
    expect(back.config).toMatchObject({ nLayer: 2 * small.config.nLayer, dModel: 2 * small.config.dModel, norm: 'rmsnorm' });
    const src = runModel(b, small.config, small.weights, inputs, targets, B);
    const wide = runModel(b, back.config, back.weights, inputs, targets, B);
    const p = comparePreservation({ ...src, hidden: [] }, { ...wide, hidden: [] }, 257, small.config.dModel, 2, { hidden: false });
    expect(p.maxAbsLogit).toBeLessThanOrEqual(1e-4);
    expect(p.top1Mismatches).toBe(0);
    expect(p.lossDiff).toBeLessThanOrEqual(1e-5);
    // in the clone's basis the blocks carry the paired noise (below 1), the new identity blocks are left out
    const report = symmetryReport(back.weights, back.config, back.clone!);
    expect(report.layers.map((l) => l.layer)).toEqual(['embeddings', 'blocks.0', 'blocks.1', 'head']);
    expect(report.layers[0]!.similarity).toBeCloseTo(1, 5);
    expect(report.layers[1]!.similarity).toBeLessThan(0.95);
  });

  it('cloned twice by 2 computes what one 4x clone computes', async () => {
    const small = randomInit(preset, { seed: 12 });
    const options: GrowthOptions = { width: 2, variant: 'noisy-symmetric', snrDb: 5, seed: 2 };
    const twice = await hyperclone(hyperclone(small, options), { ...options, seed: 3 }).load();
    const once = await hyperclone(small, { width: 4, variant: 'noisy-diagonal', seed: 4 }).load();
    expect(twice.config).toEqual(once.config);
    const loaded = await small.load();
    const src = runModel(b, loaded.config, loaded.weights, inputs, targets, B);
    const a = runModel(b, twice.config, twice.weights, inputs, targets, B);
    expectPreserved(src, a, loaded.config.dModel, 4);
    expectPreserved(a, runModel(b, once.config, once.weights, inputs, targets, B), loaded.config.dModel * 4, 1);
  });
});

describe('cloning a tied model', () => {
  it("with tie 'keep' stays tied at 1/width logit scale, with 'untie' gets a head, and both compute the source's logits", async () => {
    const small = await randomInit('tiny', { seed: 13 }).load();
    const src = runModel(b, small.config, small.weights, inputs, targets, B);
    const kept = await hyperclone(small, { width: 2 }).load();
    const untied = await hyperclone(small, { width: 2, tie: 'untie' }).load();
    expect([kept.config.tieEmbeddings, kept.config.logitScale, kept.weights.has('lm_head.weight')]).toEqual([true, 0.5, false]);
    expect([untied.config.tieEmbeddings, untied.config.logitScale, untied.weights.has('lm_head.weight')]).toEqual([false, 1, true]);
    expectPreserved(src, runModel(b, kept.config, kept.weights, inputs, targets, B), 64, 2);
    expectPreserved(src, runModel(b, untied.config, untied.weights, inputs, targets, B), 64, 2);
  });
});
