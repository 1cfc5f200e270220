// How the report words two corner cases of the speedup tables: a clone already at the target before its
// first step ("at the start", not "∞ ± –x"), and costs with no spread over seeds (no p-value printed).
// Not the arithmetic itself (analyze.test.ts).
import { describe, expect, it } from 'vitest';
import type { EvalEvent, Summary } from '@hyperclone/trainer';
import { analyze, type ArmRun } from '../src/analyze.js';
import { budgetTableRows, speedupRows } from '../src/report.js';

/** Evaluations every 10 steps at 100 tokens and 1e6 FLOPs a step. */
function run(arm: string, seed: number, accs: number[]): ArmRun {
  const evals: EvalEvent[] = accs.map((acc, i) => ({
    step: i * 10,
    tokens: i * 1000,
    flops: i * 1e7,
    deviceHours: i / 100,
    val: { loss: 4 - 4 * acc, ppl: Math.exp(4 - 4 * acc), acc, tokens: 128 },
    tasks: {},
    symmetry: null,
    reachedTarget: false,
  }));
  const last = evals.at(-1)!;
  const summary = {
    steps: last.step,
    tokens: last.tokens,
    flops: last.flops,
    deviceHours: last.deviceHours,
    finalValAcc: acc(last),
    finalValLoss: last.val.loss,
  } as Summary;
  return { arm, seed, runDir: `runs/${arm}-seed${seed}`, summary, evals };
}
const acc = (e: EvalEvent): number => e.val.acc;

const small = { steps: 50, tokens: 5000, flops: 5e7, deviceHours: 0.05, finalValLoss: 2, finalValAcc: 0.5 };

describe('the speedup tables', () => {
  // both seeds of random climb identically; the clone starts above anything random reaches
  const result = analyze({
    runs: [0, 1].flatMap((seed) => [run('random', seed, [0.1, 0.2, 0.3, 0.4]), run('clone:noisy-symmetric', seed, [0.5, 0.55, 0.6, 0.65])]),
    small,
    target: null,
    options: { schedule: 'constant' },
  });

  it('say "at the start" where the clone was above the target at step 0, and keep the figure that counts the small model', () => {
    const rows = budgetTableRows(result)!;
    expect(rows[0]).toEqual([
      "random arm's budget (steps)",
      'tokens',
      'tokens per parameter',
      'clone:noisy-symmetric: FLOPs speedup, every phase',
      'small model free',
    ]);
    expect(rows.slice(1).map((r) => r[4])).toEqual(['at the start', 'at the start', 'at the start']);
    // random reaches its own value at budget b at b; the clone's cost is the small model's alone: b·1e6 / 5e7
    expect(rows.slice(1).map((r) => r[3])).toEqual(['0.20 ± 0.00x', '0.40 ± 0.00x', '0.60 ± 0.00x']);
    expect(speedupRows(result, 'smallFree')[1]![2]).toBe('at the start');
    expect(rows.flat().join(' ')).not.toContain('∞');
  });

  it("print no p-value where neither arm's costs vary over seeds", () => {
    const stats = result.byBudget!.at(-1)!.clones['clone:noisy-symmetric']!.everyPhase!.flops;
    expect(stats.std).toBe(0);
    expect(stats.p).toBeNull();
    expect(budgetTableRows(result)!.flat().join(' ')).not.toMatch(/p [<\d]/);
  });

  it('still print p where the costs vary', () => {
    const varied = analyze({
      runs: [
        run('random', 0, [0.1, 0.2, 0.3, 0.4]),
        run('random', 1, [0.1, 0.3, 0.35, 0.4]),
        run('random', 2, [0.1, 0.15, 0.2, 0.4]),
        ...[0, 1, 2].map((seed) => run('clone:noisy-symmetric', seed, [0.1, 0.39, 0.45, 0.5])),
      ],
      small: null,
      target: { metric: 'valAcc', value: 0.4 },
      options: {},
    });
    expect(speedupRows(varied, 'smallFree')[1]![2]).toMatch(/^\d+\.\d\d ± \d+\.\d\dx \(p (< 1e-4|0\.\d{4})\)$/);
  });
});
