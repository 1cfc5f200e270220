// trainFrom options: defaults, every problem listed with its field, and the run config derived from them.
// Not the CLI flags (packages/cli/test/train-flags.test.ts).

import { describe, expect, it } from 'vitest';
import { parseTrainOptions, resolveRunConfig, trajectoryMismatch, type RunConfig } from '../src/index.js';
import { getPreset } from '@hyperclone/core';
import { fakeBackend, fakeDataset } from './fixtures.js';

describe('parseTrainOptions', () => {
  it('fills defaults', () => {
    const o = parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend });
    expect(o.steps).toBe(1000);
    expect(o.schedule).toBe('cosine');
    expect(o.beta2).toBe(0.95);
    expect(o.tasks).toEqual([]);
  });

  it('lists every problem with the field, the reason and the value given', () => {
    const bad = { data: 'd', out: 'o', backend: fakeBackend, steps: 1.5, lr: -1, schedule: 'linear', colour: 'red' };
    expect(() => parseTrainOptions(bad)).toThrowError(/invalid training options: .*unknown option colour/);
    expect(() => parseTrainOptions(bad)).toThrowError(/steps: .*int.* \(got 1\.5\)/);
    expect(() => parseTrainOptions(bad)).toThrowError(/lr: .* \(got -1\)/);
    expect(() => parseTrainOptions(bad)).toThrowError(/schedule: .*"cosine".* \(got "linear"\)/);
  });

  it('rejects a missing backend, a bad target, and stopAtTarget without a target', () => {
    expect(() => parseTrainOptions({ data: 'd', out: 'o' })).toThrowError(/backend: must be a Backend instance/);
    expect(() => parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend, target: { metric: 'loss', value: 1 } })).toThrowError(
      /target.metric: must be "valLoss"/,
    );
    expect(() => parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend, stopAtTarget: true })).toThrowError(
      /stopAtTarget needs a target/,
    );
  });
});

describe('resolveRunConfig', () => {
  const resolveWith = (extra: Record<string, unknown>, initKind = 'random'): RunConfig =>
    resolveRunConfig({
      options: parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend, steps: 100, batchSize: 4, ...extra }),
      backend: fakeBackend,
      initKind,
      origin: {},
      clone: null,
      model: getPreset('tiny'),
      dataset: fakeDataset,
    });

  it('derives micro-batches from batchTokens and refuses a non-multiple', () => {
    expect(resolveWith({ seqLen: 64, batchTokens: 1024 }).gradAccum).toBe(4);
    expect(resolveWith({ seqLen: 64, batchTokens: 1024 }).tokensPerStep).toBe(1024);
    expect(() => resolveWith({ seqLen: 64, batchTokens: 1000 })).toThrowError(
      /not a whole number of micro-batches of batchSize·seqLen = 256/,
    );
    expect(() => resolveWith({ seqLen: 64, batchTokens: 1024, gradAccum: 2 })).toThrowError(/disagrees/);
  });

  it('uses rewarmup only for cloned runs', () => {
    expect(resolveWith({ warmup: 10, rewarmup: 30 }).warmup).toBe(10);
    expect(resolveWith({ warmup: 10, rewarmup: 30 }, 'hyperclone').warmup).toBe(30);
  });

  it('refuses a sequence longer than the context and a vocabulary smaller than the data', () => {
    expect(() => resolveWith({ seqLen: 129 })).toThrowError(/exceeds the model's context length 128/);
    expect(() =>
      resolveRunConfig({
        options: parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend }),
        backend: fakeBackend,
        initKind: 'random',
        origin: {},
        clone: null,
        model: getPreset('tiny'),
        dataset: { ...fakeDataset, vocabSize: 50257 },
      }),
    ).toThrowError(/vocabulary \(257\) is smaller than the dataset's \(50257\)/);
  });

  it('names the trajectory fields a resume may not change', () => {
    const a = resolveWith({ lr: 1e-3 });
    expect(trajectoryMismatch(a, resolveWith({ lr: 1e-3, evalEvery: 7 }))).toEqual([]);
    expect(trajectoryMismatch(a, resolveWith({ lr: 2e-3, minLr: 1e-4 }))).toEqual(['lr (saved 0.001, now 0.002)']);
  });
});
