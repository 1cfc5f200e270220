// The benchmark statistics against known values: mean, sample std, log-gamma, Student t p-values and
// Welch's t-test. Not the analysis built on them (analyze.test.ts).
import { describe, expect, it } from 'vitest';
import { logGamma, mean, std, studentTwoSidedP, welchTTest } from '../src/stats.js';

describe('benchmark statistics', () => {
  it('computes mean and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935, 8);
  });

  it('matches known Student t tail probabilities', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    // two-sided p for t = 2.776, df = 4 is 0.05; t = 2.228, df = 10 is 0.05; t = 1, df = 1 is 0.5
    expect(studentTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(1, 1)).toBeCloseTo(0.5, 10);
  });

  it('matches a Welch test computed independently (t statistic, Welch df, numerically integrated tail)', () => {
    // reference: t = -0.862458, df = 5.751964, p = 0.422930 (t pdf integrated numerically in Python)
    const r = welchTTest([27.5, 21.0, 19.0, 23.6, 17.0], [27.1, 22.0, 20.8, 23.4, 23.4, 23.5]);
    expect(r.t).toBeCloseTo(-0.862458, 5);
    expect(r.df).toBeCloseTo(5.751964, 5);
    expect(r.p).toBeCloseTo(0.42293, 4);
  });

  it('handles degenerate samples without NaN surprises', () => {
    expect(welchTTest([1, 1, 1], [2, 2, 2]).p).toBe(0);
    expect(welchTTest([1, 1], [1, 1]).p).toBe(1);
    expect(Number.isNaN(welchTTest([1], [2, 3]).p)).toBe(true);
  });
});
