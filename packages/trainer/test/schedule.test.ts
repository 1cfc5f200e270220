// The learning-rate schedules (warmup, cosine, wsd, constant) as pure functions of the step.
// Not how a run applies them (train-from.test.ts).

import { describe, expect, it } from 'vitest';
import { learningRate, type Schedule } from '../src/index.js';

const base: Schedule = { kind: 'cosine', lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110, decayFraction: 0.2 };

describe('learningRate', () => {
  it('warms up linearly to the peak', () => {
    expect(learningRate(1, base)).toBeCloseTo(1e-4, 12);
    expect(learningRate(5, base)).toBeCloseTo(5e-4, 12);
    expect(learningRate(10, base)).toBeCloseTo(1e-3, 12);
  });

  it('cosine falls from the peak to the floor at the last step, through the midpoint halfway', () => {
    expect(learningRate(60, base)).toBeCloseTo((1e-3 + 1e-4) / 2, 12);
    expect(learningRate(110, base)).toBeCloseTo(1e-4, 12);
    expect(learningRate(500, base)).toBeCloseTo(1e-4, 12);
    for (let s = 11; s < 110; s++) expect(learningRate(s + 1, base)).toBeLessThan(learningRate(s, base));
  });

  it('wsd holds the peak, then decays linearly over the last fraction', () => {
    const wsd: Schedule = { ...base, kind: 'wsd', totalSteps: 100 };
    expect(learningRate(50, wsd)).toBe(1e-3);
    expect(learningRate(80, wsd)).toBe(1e-3);
    expect(learningRate(90, wsd)).toBeCloseTo(1e-3 + (1e-4 - 1e-3) * 0.5, 12);
    expect(learningRate(100, wsd)).toBeCloseTo(1e-4, 12);
  });

  it('constant stays at the peak after warmup, and zero warmup starts at the peak', () => {
    const c: Schedule = { ...base, kind: 'constant', warmupSteps: 0 };
    expect(learningRate(1, c)).toBe(1e-3);
    expect(learningRate(1000, c)).toBe(1e-3);
  });

  it('is a pure function of the step', () => {
    const a = Array.from({ length: 110 }, (_, i) => learningRate(i + 1, base));
    const b = Array.from({ length: 110 }, (_, i) => learningRate(i + 1, { ...base }));
    expect(a).toEqual(b);
  });
});
