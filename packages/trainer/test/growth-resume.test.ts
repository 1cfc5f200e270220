// A grown run killed before its first checkpoint and resumed from its directory alone: for every growth
// kind (width, heads, depth, rotation, stages) the resumed run rebuilds the same initial model from the
// GrowthSpec its config.json records, and its loss trace and final weights equal an uninterrupted run's.
// Not the growth transforms (packages/init/test) nor a resume from a checkpoint (grow-stages.test.ts).

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Initializer, ModelConfig } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { prepareDataset } from '@hyperclone/data';
import { hyperclone, randomInit, type GrowthSpec } from '@hyperclone/init';
import { readRunConfig, resumeInitializer, trainFrom, type StepEvent, type TrainOptions } from '../src/index.js';
import { tempDir } from './fixtures.js';

let b: Backend;
let data: string;
let smallCheckpoint: string;

beforeAll(async () => {
  b = await createTfjsBackend();
  data = join(tempDir('hc-data-'), 'stories');
  await prepareDataset({ inputs: ['builtin:stories:0.25'], tokenizer: 'byte', out: data });
  const small = await trainFrom(randomInit('tiny', { seed: 1 }), { ...common(tempDir()), steps: 3 });
  smallCheckpoint = small.checkpoint;
}, 60_000);
afterAll(() => b.close());

/** Ten steps, dropout on, no checkpoint until the end (no periodic ones; evaluation, and so best, only at the last step). */
function common(out: string): TrainOptions {
  return {
    data,
    out,
    backend: b,
    steps: 10,
    batchSize: 2,
    seqLen: 16,
    lr: 2e-3,
    warmup: 2,
    dropout: 0.1,
    evalEvery: 0,
    evalWindows: 2,
    seed: 4,
    peakFlopsPerSec: 1e10,
  };
}

const trace = (runDir: string): [number, number, number][] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StepEvent)
    .map((r) => [r.step, r.loss, r.gradNorm]);

/** Trains until step `killAt` and dies there (an exception from the step's callback: nothing is saved). */
async function killedAt(init: Initializer, options: TrainOptions, killAt: number): Promise<void> {
  const onStep = (e: StepEvent): void => {
    if (e.step === killAt) throw new Error(`killed at step ${killAt}`);
  };
  await expect(trainFrom(init, { ...options, onStep })).rejects.toThrow(`killed at step ${killAt}`);
}

interface GrowthCase {
  kind: string;
  init: () => Initializer;
  /** The initial model's shape and the growth config.json records for it. */
  model: Partial<ModelConfig>;
  growth: Partial<GrowthSpec>;
  extra?: Partial<TrainOptions>;
}

const CASES: GrowthCase[] = [
  {
    kind: 'width',
    init: () => hyperclone(smallCheckpoint, { width: 2, variant: 'noisy-symmetric', seed: 3 }),
    model: { dModel: 128, nHead: 8, dFF: 512 },
    growth: { width: 2, variant: 'noisy-symmetric', snrDb: 10, seed: 3 },
  },
  {
    kind: 'heads',
    init: () => hyperclone(smallCheckpoint, { heads: 2, seed: 3 }),
    model: { dModel: 64, nHead: 8, nKvHead: 8, headDim: 16, dFF: 256 },
    growth: { width: 1, heads: 2, kvHeads: null },
  },
  {
    kind: 'depth',
    init: () => hyperclone(smallCheckpoint, { depth: 2, seed: 3 }),
    model: { dModel: 64, nLayer: 4 },
    growth: { width: 1, depth: 2, placement: 'interleave', newBlocks: 'identity' },
  },
  {
    kind: 'rotate',
    init: () => hyperclone(smallCheckpoint, { width: 2, rotate: true, seed: 3 }),
    model: { dModel: 128, norm: 'rmsnorm', tieEmbeddings: false, headBias: true },
    growth: { width: 2, rotate: true, tie: 'untie' },
  },
  // a deeper clone of a wider clone of a random init, none of them in a checkpoint: the chain is made again from its records
  {
    kind: 'depth of a width clone of a random init (no source checkpoint)',
    init: () => hyperclone(hyperclone(randomInit('tiny', { seed: 6 }), { width: 2, ffn: 1, seed: 1 }), { depth: 2, placement: 'stack' }),
    model: { dModel: 128, dFF: 256, nLayer: 4 },
    growth: { width: 1, depth: 2, placement: 'stack' },
  },
  {
    kind: 'staged',
    init: () => hyperclone(smallCheckpoint, { width: 2, variant: 'noisy-symmetric', seed: 3 }),
    model: { dModel: 128, nLayer: 2 },
    growth: { width: 2 },
    extra: { growAt: [{ step: 3, depth: 2, placement: 'stack' }] },
  },
];

describe('a grown run killed before its first checkpoint resumes from its directory alone', () => {
  for (const c of CASES) {
    it(`${c.kind}: the resumed trace and final weights equal an uninterrupted run's`, async () => {
      const straight = tempDir();
      await trainFrom(c.init(), { ...common(straight), ...c.extra });
      const killed = tempDir();
      await killedAt(c.init(), { ...common(killed), ...c.extra }, 6);
      expect(trace(killed).map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(existsSync(join(killed, 'checkpoints'))).toBe(false);
      const saved = await readRunConfig(killed);
      expect(saved.model).toMatchObject(c.model);
      expect(saved.init.growth).toMatchObject(c.growth);
      // what `hyperclone train --out RUN --resume` does: the initializer from config.json, the saved settings
      const resumed = await trainFrom(await resumeInitializer(killed), { ...common(killed), ...c.extra, resume: true });
      expect(resumed.summary.steps).toBe(10);
      expect(resumed.summary.growth).toEqual(saved.init.growth);
      expect(trace(killed)).toEqual(trace(straight));
      const [wa, wb] = await Promise.all([straight, killed].map((d) => loadCheckpoint(join(d, 'checkpoints/step-00000010'))));
      expect([...wb!.weights.keys()]).toEqual([...wa!.weights.keys()]);
      for (const [name, t] of wa!.weights)
        expect(Buffer.from(wb!.weights.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    });
  }
});

describe('what cannot be made again is refused in words', () => {
  it('a clone of a trained model whose checkpoint is gone', async () => {
    const source = join(tempDir(), 'small');
    const trained = await trainFrom(randomInit('tiny', { seed: 1 }), { ...common(source), steps: 2 });
    const killed = tempDir();
    await killedAt(hyperclone(trained.checkpoint, { width: 2 }), common(killed), 2);
    rmSync(source, { recursive: true });
    await expect((await resumeInitializer(killed)).load()).rejects.toThrow(
      new RegExp(
        `^${killed} stopped before its first checkpoint and its initial weights cannot be made again from config\\.json \\(its source checkpoint .*step-00000002 is gone and its source cannot be made again: its weights were trained \\(hyperclone trainer, step 2\\), so only their checkpoint holds them\\); start it over in place with the same --model or --init, without --resume$`,
      ),
    );
  });
});
