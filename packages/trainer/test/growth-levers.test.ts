// What the trainer does after a growth (--grow-at's stage keys): a growth at a share of the run, AdamW's
// moments carried, the peak rate and LEMON's faster decay, muP's per-width rates. The proof of the moments
// and the rates: a symmetric 2x growth with carried moments and muP rates trains on exactly as the small
// model would (every copy takes its source's update), on tfjs. Not the growth itself (packages/init/test).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { getPreset, withVocab } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { prepareDataset } from '@hyperclone/data';
import { randomInit } from '@hyperclone/init';
import { learningRate, parseGrowStage, planStages, stageRates, trainFrom, type StepEvent, type TrainOptions } from '../src/index.js';
import { tempDir } from './fixtures.js';

let b: Backend;
let data: string;
beforeAll(async () => {
  b = await createTfjsBackend();
  data = join(tempDir('hc-data-'), 'stories');
  await prepareDataset({ inputs: ['builtin:stories:1'], tokenizer: 'byte', out: data });
});
afterAll(() => b.close());

const losses = (out: string): number[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as StepEvent).loss);

describe('the stage keys', () => {
  it('parse a share of the run and the levers, and name what is wrong', () => {
    expect(parseGrowStage('25%:width=2,moments=carry,lr=3e-3,decay=400,mup,warmup=0')).toEqual({
      fraction: 0.25,
      width: 2,
      moments: 'carry',
      lr: 3e-3,
      decay: 400,
      mup: true,
      warmup: 0,
    });
    expect(parseGrowStage('12.5%:depth=2')).toEqual({ fraction: 0.125, depth: 2 });
    expect(parseGrowStage('600:width=2,split=0.6')).toEqual({ step: 600, width: 2, split: 0.6 });
    expect(() => parseGrowStage('100%:width=2')).toThrow(/share of the run must lie strictly between 0% and 100%/);
    expect(() => parseGrowStage('2.5:width=2')).toThrow(/the step must be a whole number/);
    expect(() => parseGrowStage('5:moments=keep')).toThrow(/moments must be zero or carry \(got "keep"\)/);
    expect(() => parseGrowStage('5:lr=-1')).toThrow(/lr must be a rate above 0/);
    expect(() => parseGrowStage('5:decay=0')).toThrow(/decay must be an integer >= 1/);
    expect(() => parseGrowStage('5:warm=3')).toThrow(/unknown key "warm"; .*,split=S,.*,warmup=N,moments=zero\|carry,lr=X,decay=N,mup$/);
  });

  it('plan a share of the run as its step, and each stage with its levers', () => {
    const tiny = getPreset('tiny');
    const stages = planStages(tiny, [parseGrowStage('25%:depth=2'), parseGrowStage('50%:width=2,moments=carry,lr=1e-3,decay=100,mup')], {
      seed: 0,
      steps: 400,
      seqLen: 64,
      warmup: 10,
      lr: 2e-3,
    });
    expect(stages.map((s) => [s.fromStep, s.moments, s.lr, s.decay, s.mup])).toEqual([
      [0, 'zero', 2e-3, null, false],
      [100, 'zero', 2e-3, null, false],
      [200, 'carry', 1e-3, 100, true],
    ]);
    // muP: a linear weight reading 2x the first stage's width takes half the rate; the embedding and norms are left alone
    const rates = stageRates(stages, 2);
    expect(rates.get('blocks.3.mlp.down.weight')).toBe(0.5); // reads ffn 512 where the first stage read 256
    expect(rates.get('blocks.0.attn.q.weight')).toBe(0.5);
    expect(rates.has('tok_emb.weight')).toBe(false);
    expect(rates.has('blocks.0.norm1.weight')).toBe(false);
    expect(stageRates(stages, 1).size).toBe(0); // a stage without mup
  });

  it('give the rate after a growth its own peak, and with decay a cosine to the floor', () => {
    const schedule = {
      kind: 'constant' as const,
      lr: 2e-3,
      minLr: 2e-4,
      warmupSteps: 0,
      totalSteps: 1000,
      decayFraction: 0.2,
      restarts: [{ step: 100, warmupSteps: 10, lr: 4e-3, decaySteps: 200 }],
    };
    expect(learningRate(100, schedule)).toBe(2e-3);
    expect(learningRate(105, schedule)).toBeCloseTo(0.5 * (4e-4 + ((4e-3 - 4e-4) * (1 + Math.cos((Math.PI * 5) / 200))) / 2), 12);
    expect(learningRate(200, schedule)).toBeCloseTo(4e-4 + (4e-3 - 4e-4) / 2, 12); // halfway down
    expect(learningRate(300, schedule)).toBeCloseTo(4e-4, 12); // the floor, scaled with the peak
    expect(learningRate(900, schedule)).toBeCloseTo(4e-4, 12);
    const noDecay = { ...schedule, restarts: [{ step: 100, warmupSteps: 0, lr: 1e-3 }] };
    expect(learningRate(500, noDecay)).toBeCloseTo(1e-3, 12);
  });
});

describe('moments carried through a growth, with muP rates', () => {
  const small = withVocab(getPreset('tiny'), 257);
  const run = (out: string, extra: Partial<TrainOptions>): TrainOptions => ({
    data,
    out,
    backend: b,
    steps: 10,
    batchSize: 2,
    seqLen: 16,
    lr: 3e-3,
    warmup: 2,
    schedule: 'constant',
    weightDecay: 0, // decoupled decay scales with the rate, so a copy with half the rate would decay half as fast
    gradClip: 0, // the wide model's gradient norm differs, so a clip would differ
    evalEvery: 0,
    evalWindows: 1,
    keepBest: false,
    peakFlopsPerSec: 1e10,
    ...extra,
  });

  it('make a symmetric 2x growth train on as the small model would, step for step', async () => {
    const alone = tempDir();
    await trainFrom(randomInit(small, { seed: 4 }), run(alone, {}));
    const carried = tempDir();
    await trainFrom(randomInit(small, { seed: 4 }), run(carried, { growAt: [parseGrowStage('4:width=2,moments=carry,mup,warmup=0')] }));
    const a = losses(alone);
    const c = losses(carried);
    for (let i = 0; i < a.length; i++) expect(c[i], `step ${i + 1}`).toBeCloseTo(a[i]!, 4);
    // either lever alone gives another trajectory after the growth
    for (const stage of ['4:width=2,moments=carry,warmup=0', '4:width=2,mup,warmup=0']) {
      const other = tempDir();
      await trainFrom(randomInit(small, { seed: 4 }), run(other, { growAt: [parseGrowStage(stage)] }));
      const o = losses(other);
      expect(o.slice(0, 5)).toEqual(a.slice(0, 5)); // through the growth and its first step: the same function
      expect(Math.max(...o.slice(6).map((x, i) => Math.abs(x - a[i + 6]!))), stage).toBeGreaterThan(1e-3);
    }
  });

  it('resumes a run with carried moments exactly across the growth', async () => {
    const straight = tempDir();
    const stage = [parseGrowStage('4:width=2,variant=noisy-symmetric,moments=carry,warmup=1')];
    await trainFrom(randomInit(small, { seed: 5 }), run(straight, { growAt: stage }));
    const split = tempDir();
    await trainFrom(randomInit(small, { seed: 5 }), run(split, { growAt: stage, stopAfter: 4 }));
    await trainFrom(randomInit(small, { seed: 5 }), run(split, { growAt: stage, resume: true }));
    expect(losses(split)).toEqual(losses(straight));
  });
});
