// The option table and what is read off it: the schema's keys, config.json's fields, the resume
// rules (which saved settings a resume carries, which must not change). Not the CLI's flags (cli tests).
import { describe, expect, it } from 'vitest';
import { getPreset } from '@hyperclone/core';
import {
  parseTrainOptions,
  resolveRunConfig,
  resumeSettings,
  trainOptionsSchema,
  TRAIN_OPTION_KEYS,
  TRAIN_OPTIONS,
  TRAJECTORY_FIELDS,
  trajectoryMismatch,
  type RunConfig,
} from '../src/index.js';
import { fakeBackend, fakeDataset } from './fixtures.js';

const configWith = (extra: Record<string, unknown>, dropout = 0): RunConfig =>
  resolveRunConfig({
    options: parseTrainOptions({ data: 'd', out: 'o', backend: fakeBackend, steps: 100, ...extra }),
    backend: fakeBackend,
    initKind: 'random',
    origin: {},
    clone: null,
    model: { ...getPreset('tiny'), dropout },
    dataset: fakeDataset,
  });

describe('the option table', () => {
  it('is the schema: one key per row, no more', () => {
    expect(Object.keys(trainOptionsSchema.shape)).toEqual(TRAIN_OPTION_KEYS);
  });

  it('gives every flag once, and a help line to every row', () => {
    const flags = Object.values(TRAIN_OPTIONS).flatMap((row) => (row.flag ? [row.flag.name] : []));
    expect(new Set(flags).size).toBe(flags.length);
    for (const row of Object.values(TRAIN_OPTIONS)) expect(row.help.length).toBeGreaterThan(10);
  });

  it('records in config.json every option a resume carries, or says where it is kept', () => {
    const config = configWith({}) as unknown as Record<string, unknown>;
    for (const [key, row] of Object.entries(TRAIN_OPTIONS)) {
      if (row.resume === 'fresh') continue;
      if (row.recorded === 'none') expect(row.saved, key).not.toBeNull();
      else expect(key in config, key).toBe(true);
    }
    // and nothing the table leaves out
    for (const [key, row] of Object.entries(TRAIN_OPTIONS)) if (row.recorded === 'none') expect(key in config, key).toBe(false);
  });

  it('fixes the trajectory by the model and the options marked fixed, and no others', () => {
    const known = ['data', 'steps', 'batchSize', 'seqLen', 'gradAccum', 'lr', 'minLr', 'warmup', 'schedule', 'decayFraction'];
    expect(TRAJECTORY_FIELDS).toEqual(
      expect.arrayContaining(['model', ...known, 'weightDecay', 'beta1', 'beta2', 'eps', 'gradClip', 'seed', 'sampler']),
    );
    for (const kept of [
      'evalEvery',
      'evalWindows',
      'evalSeed',
      'tasks',
      'logEvery',
      'checkpointEvery',
      'keepLast',
      'precision',
      'stopAfter',
    ])
      expect(TRAJECTORY_FIELDS).not.toContain(kept);
    const fixed = Object.entries(TRAIN_OPTIONS).filter(([, row]) => row.resume === 'fixed' && row.recorded !== 'none');
    expect(TRAJECTORY_FIELDS).toEqual(['model', ...fixed.map(([key]) => key)]);
  });
});

describe('resumeSettings and trajectoryMismatch', () => {
  it("carry the saved run's fixed and kept settings (dropout from the model), nothing per-invocation, no nulls", () => {
    const saved = configWith({ lr: 2e-3, evalEvery: 7, stopAfter: 5, batchTokens: 2048, seqLen: 64 }, 0.1);
    const s = resumeSettings(saved);
    expect(s).toMatchObject({ lr: 2e-3, minLr: 2e-4, evalEvery: 7, gradAccum: 2, seqLen: 64, dropout: 0.1, sampler: 'random' });
    for (const key of ['stopAfter', 'batchTokens', 'rewarmup', 'resume', 'out', 'backend', 'target', 'taskLimit'])
      expect(s, key).not.toHaveProperty(key);
    // the saved settings resolve to the saved config again
    expect(trajectoryMismatch(saved, configWith({ ...s, data: 'd' }, 0.1))).toEqual([]);
  });

  it('names each differing field, an object field down to its leaf', () => {
    const saved = configWith({ lr: 1e-3 });
    expect(trajectoryMismatch(saved, configWith({ lr: 2e-3, minLr: 1e-4, sampler: 'epoch' }, 0.25))).toEqual([
      'model.dropout (saved 0, now 0.25)',
      'lr (saved 0.001, now 0.002)',
      'sampler (saved "random", now "epoch")',
    ]);
  });
});
