// The memory plan's arithmetic (train-plan.ts): the run's own layout, every option's total, the widest clone
// that fits (and the next that does not), the refusal's smallest change, and CUDA's autocast options. Not the
// command line (the CLI's dry-run.test.ts) and not the formulas (core's memory-estimate.test.ts).

import { describe, expect, it } from 'vitest';
import { countParams, GIB, rankState, resolveConfig, withVocab } from '@hyperclone/core';
import { changedFlags, formatPlan, planRefusal, trainPlan, widerModel, type PlanInputs } from '../src/index.js';

const model = withVocab(resolveConfig('cpu-256'), 257);
const inputs = (over: Partial<PlanInputs> = {}): PlanInputs => ({
  model,
  stages: 1,
  rows: 8,
  seqLen: 256,
  layout: { zeroStage: 0, worldSize: 4, checkpointEvery: 0, gradAccum: 1, attention: 'materialized', autocast: null },
  device: 'cuda',
  deviceBytes: 2 * GIB,
  deviceText: 'test',
  loadBytes: 0,
  ...over,
});

describe('trainPlan', () => {
  it("holds one rank's state against the device, and finds the widest clone each option fits", () => {
    const p = trainPlan(inputs());
    const s = rankState(model, 8, 256, inputs().layout);
    expect(p.rank).toEqual(s);
    expect(p.deviceTotal).toBe(s.weights + s.gradients + s.moments + s.activations + s.buffers); // cuda: the device part alone
    expect(p.options).toHaveLength(12); // 3 stages x 2 checkpointing x 2 autocast on cuda
    for (const f of p.options) {
      const layout = {
        ...inputs().layout,
        zeroStage: f.option.zeroStage,
        checkpointEvery: f.option.checkpointing === 'blocks' ? 1 : 0,
        autocast: f.option.autocast,
      };
      const total = (k: number) => Object.values(rankState(widerModel(model, k), 8, 256, layout)).reduce((a, b) => a + b, 0);
      expect(total(f.widest)).toBeLessThanOrEqual(2 * GIB);
      expect(total(f.widest + 1)).toBeGreaterThan(2 * GIB);
      expect(f.widestParams).toBe(f.widest > 0 ? countParams(widerModel(model, f.widest)) : 0);
    }
    // sharding and recomputing only ever widen what fits
    const widest = (z: number, c: string) =>
      p.options.find((f) => f.option.zeroStage === z && f.option.checkpointing === c && !f.option.autocast)!.widest;
    expect(widest(2, 'blocks')).toBeGreaterThanOrEqual(widest(0, 'blocks'));
    expect(widest(0, 'blocks')).toBeGreaterThanOrEqual(widest(0, 'none'));
  });

  it('a width clone is the model k times as wide, heads and dFF too, headDim kept', () => {
    expect(widerModel(model, 3)).toMatchObject({ dModel: 768, nHead: 24, nKvHead: 24, dFF: 3072, headDim: 32, nLayer: 4 });
  });

  it('refuses what does not fit with the smallest change that fits, naming only the flags that change', () => {
    const tight = trainPlan(inputs({ deviceBytes: 0.3 * GIB }));
    expect(tight.fits).toBe(false);
    const line = planRefusal(tight)!;
    expect(line).toMatch(
      /^train --dry-run: the plan needs [\d.]+ GiB per rank but 0\.30 GiB is there \([\d.]+ GiB over\); .+ would fit \([\d.]+ GiB\)$/,
    );
    expect(line).not.toContain('--zero-stage 0'); // the run's own value is not repeated
    expect(planRefusal(trainPlan(inputs({ deviceBytes: 100 * GIB })))).toBeNull();
    expect(changedFlags(inputs(), { zeroStage: 2, checkpointing: 'none', autocast: 'bf16' })).toBe('--zero-stage 2 --autocast bf16');
    expect(formatPlan(tight)).toContain('device total');
  });
});
