// HyperCloning through the trainer: a briefly trained `tiny`, cloned 2x, keeps its validation loss and
// trains below it; symmetry breaks only with noise or dropout. Not function preservation (init's tests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Logger } from '@hyperclone/core';
import { saveCheckpoint } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { fromCheckpoint, hyperclone, randomInit, symmetryReport } from '@hyperclone/init';
import { evaluateCheckpoint, trainFrom, type EvalEvent, type StepEvent, type TrainOptions } from '../src/index.js';
import { shakespeareDataset, tempDir } from './fixtures.js';

const SEQ_LEN = 64;
const EVAL_WINDOWS = 16;
const SOURCE_STEPS = 120;

let b: Backend;
let data: string;
let source: string; // the trained tiny's final checkpoint
let sourceWarnings: string[];

/** Same seqLen, window count and eval seed everywhere, so every loss below is on the same 1,024 tokens. */
function options(out: string, extra: Partial<TrainOptions>): TrainOptions {
  return { data, out, backend: b, batchSize: 8, seqLen: SEQ_LEN, evalWindows: EVAL_WINDOWS, peakFlopsPerSec: 1e10, ...extra };
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

/** Collects the messages of warnings whose event is 'symmetry'. */
function symmetryWarnings(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const none = () => {};
  const warn = (obj: object, msg?: string) => {
    if ((obj as { event?: string }).event === 'symmetry') messages.push(msg ?? '');
  };
  return { messages, debug: none, info: none, warn, error: none };
}

const sourceLoss = async () => (await evaluateCheckpoint(source, { data, backend: b, evalWindows: EVAL_WINDOWS, seqLen: SEQ_LEN })).val;

beforeAll(async () => {
  b = await createTfjsBackend();
  data = await shakespeareDataset();
  const logger = symmetryWarnings();
  const run = await trainFrom(
    randomInit('tiny', { seed: 3 }),
    options(tempDir(), { steps: SOURCE_STEPS, lr: 3e-3, warmup: 10, evalEvery: SOURCE_STEPS, logger }),
  );
  source = run.checkpoint;
  sourceWarnings = logger.messages;
}, 300_000);
afterAll(() => b.close());

describe('a trained tiny, cloned 2x', () => {
  it('is clearly trained, and its clone has the same validation loss and accuracy before any training', async () => {
    const src = await sourceLoss();
    expect(src.tokens).toBe(EVAL_WINDOWS * SEQ_LEN);
    expect(src.loss).toBeLessThan(3.0); // chance is ln(257) = 5.55 nats; byte unigram statistics alone give ~3.3
    expect(sourceWarnings).toEqual([]); // not a clone: nothing to warn about

    const wide = await hyperclone(source, { width: 2 }).load();
    expect(wide.config.dModel).toBe(128);
    expect(wide.config.nHead).toBe(8);
    const dir = join(tempDir(), 'clone');
    await saveCheckpoint(dir, { config: wide.config, weights: wide.weights, origin: wide.origin });
    const cloned = (await evaluateCheckpoint(dir, { data, backend: b, evalWindows: EVAL_WINDOWS, seqLen: SEQ_LEN })).val;
    expect(Math.abs(cloned.loss - src.loss)).toBeLessThanOrEqual(1e-5);
    expect(cloned.acc).toBe(src.acc);
  });

  it('noisy-symmetric, dropout 0: 40 more steps bring the wide model below the source, with no warning', async () => {
    const logger = symmetryWarnings();
    const run = await trainFrom(
      hyperclone(source, { width: 2, variant: 'noisy-symmetric' }),
      options(tempDir(), { steps: 40, lr: 1e-3, rewarmup: 5, evalEvery: 10, dropout: 0, logger }),
    );
    expect(logger.messages).toEqual([]);
    const src = await sourceLoss();
    const evals = readJsonl<EvalEvent>(join(run.runDir, 'eval.jsonl'));
    expect(evals.map((e) => e.step)).toEqual([10, 20, 30, 40]);
    expect(run.summary.finalValLoss).toBe(evals[3]!.val.loss);
    expect(evals[3]!.val.loss).toBeLessThan(src.loss - 0.01);
  }, 300_000);
});

describe('symmetry must break in training', () => {
  const short = (extra: Partial<TrainOptions>) =>
    options(tempDir(), { steps: 30, batchSize: 4, lr: 1e-3, rewarmup: 5, evalEvery: 10, evalWindows: 4, ...extra });

  it('symmetric with no dropout: the trainer warns, and after 30 steps the copies are still exact (symmetry 1)', async () => {
    const logger = symmetryWarnings();
    const run = await trainFrom(hyperclone(source, { width: 2 }), short({ logger })); // the clone inherits the source's dropout 0
    expect(logger.messages).toHaveLength(1);
    expect(logger.messages[0]).toMatch(/without dropout or noise/);
    expect(logger.messages[0]).toMatch(/dropout > 0|noisy/);

    const evals = readJsonl<EvalEvent>(join(run.runDir, 'eval.jsonl'));
    expect(evals.map((e) => e.step)).toEqual([10, 20, 30]);
    for (const e of evals) {
      expect(e.symmetry!.mean).toBeCloseTo(1, 6);
      for (const layer of e.symmetry!.layers) expect(layer.similarity).toBeCloseTo(1, 6);
    }
    const logged = readJsonl<StepEvent>(join(run.runDir, 'metrics.jsonl')).filter((r) => r.symmetry !== undefined);
    expect(logged.map((r) => r.step)).toEqual([10, 20, 30]);
    for (const r of logged) expect(r.symmetry!).toBeCloseTo(1, 6);

    // recomputed from the saved weights: every cloned matrix, and the embedding's two halves agree
    const trained = await fromCheckpoint(run.checkpoint).load();
    const report = symmetryReport(trained.weights, trained.config, trained.clone!);
    expect(report.matrices.length).toBeGreaterThan(0);
    for (const m of report.matrices) expect(m.similarity).toBeCloseTo(1, 6);
    expect(maxHalfDifference(trained.weights.get('tok_emb.weight')!)).toBeLessThanOrEqual(1e-6);
  }, 300_000);

  it('symmetric with dropout 0.1: no warning, and symmetry falls below 1 within 30 steps', async () => {
    const logger = symmetryWarnings();
    const run = await trainFrom(hyperclone(source, { width: 2 }), short({ dropout: 0.1, logger }));
    expect(logger.messages).toEqual([]);
    const evals = readJsonl<EvalEvent>(join(run.runDir, 'eval.jsonl'));
    const means = evals.map((e) => e.symmetry!.mean!);
    expect(means[0]!).toBeLessThan(1 - 1e-4);
    expect(means[2]!).toBeLessThan(1 - 1e-3);
    expect(means[2]!).toBeLessThan(means[0]!);
  }, 300_000);

  it('noisy-symmetric with no dropout: no warning, symmetry stays below 1, and the noise-free embeddings diverge', async () => {
    const init = hyperclone(source, { width: 2, variant: 'noisy-symmetric' });
    const fresh = await init.load();
    const before = symmetryReport(fresh.weights, fresh.config, fresh.clone!);
    const layer = (layers: { layer: string; similarity: number }[], name: string) => layers.find((l) => l.layer === name)!.similarity;
    expect(layer(before.layers, 'embeddings')).toBe(1); // the embeddings get no noise
    expect(layer(before.layers, 'blocks.0')).toBeLessThan(0.9); // ~0.82 at 10 dB

    const logger = symmetryWarnings();
    const run = await trainFrom(init, short({ dropout: 0, logger }));
    expect(logger.messages).toEqual([]);
    const evals = readJsonl<EvalEvent>(join(run.runDir, 'eval.jsonl'));
    for (const e of evals) expect(e.symmetry!.mean!).toBeLessThan(0.9);
    const last = evals[evals.length - 1]!.symmetry!.layers;
    expect(layer(last, 'embeddings')).toBeLessThan(1 - 1e-5); // different gradients reach the two copies
    expect(layer(last, 'blocks.0')).toBeLessThan(0.9);
  }, 300_000);
});

/** Largest |W[:, j] - W[:, j + C/2]| of a [rows, C] matrix whose columns were cloned twice. */
function maxHalfDifference(t: { shape: readonly number[]; data: ArrayLike<number> }): number {
  const [rows, cols] = t.shape as [number, number];
  const half = cols / 2;
  let max = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < half; j++) max = Math.max(max, Math.abs(t.data[i * cols + j]! - t.data[i * cols + j + half]!));
  }
  return max;
}
