// The benchmark's arithmetic on hand-built runs: cost to target by interpolation, per-seed default
// targets, speedups with and without the small model, misses, and dropped seeds. No training here.
import { describe, expect, it } from 'vitest';
import { analyze, type ArmRun } from '../src/analyze.js';
import { mean, std, welchTTest } from '../src/stats.js';
import { costToTarget } from '../src/time-to-target.js';
import type { EvalEvent, Summary } from '@hyperclone/trainer';

/** Per-step rates of one run: tokens, FLOPs and device-hours spent per optimizer step. */
interface Rate {
  tokens: number;
  flops: number;
  deviceHours: number;
}
const RANDOM_RATE: Rate = { tokens: 100, flops: 1e6, deviceHours: 1 / 8 };
const CLONE_RATE: Rate = { tokens: 100, flops: 1e6, deviceHours: 1 / 4 }; // same work, slower device

function ev(step: number, acc: number, loss: number, rate: Rate): EvalEvent {
  return {
    step,
    tokens: step * rate.tokens,
    flops: step * rate.flops,
    deviceHours: step * rate.deviceHours,
    val: { loss, ppl: Math.exp(loss), acc, tokens: 128 },
    tasks: {},
    symmetry: null,
    reachedTarget: false,
  };
}

/** Evaluations every 10 steps with the given accuracies (loss = 4 - 4·acc). */
function curve(accs: number[], rate: Rate): EvalEvent[] {
  return accs.map((a, i) => ev(i * 10, a, 4 - 4 * a, rate));
}

/** A Summary with the fields analyze reads taken from the last evaluation. */
function summaryOf(evals: EvalEvent[]): Summary {
  const last = evals.at(-1)!;
  return {
    steps: last.step,
    tokens: last.tokens,
    flops: last.flops,
    deviceHours: last.deviceHours,
    finalValAcc: last.val.acc,
    finalValLoss: last.val.loss,
  } as Summary;
}

function run(arm: string, seed: number, accs: number[]): ArmRun {
  const evals = curve(accs, arm === 'random' ? RANDOM_RATE : CLONE_RATE);
  return { arm, seed, runDir: `/runs/${arm}-seed${seed}`, summary: summaryOf(evals), evals };
}

describe('costToTarget', () => {
  const evals = curve([0.125, 0.25, 0.5, 0.75], RANDOM_RATE);

  it('interpolates linearly between the evaluation before and the first one reaching an accuracy target', () => {
    // 0.375 lies halfway between step 10 (0.25) and step 20 (0.5)
    expect(costToTarget(evals, 'valAcc', 0.375)).toEqual({ step: 15, tokens: 1500, flops: 1.5e7, deviceHours: 15 / 8 });
    // 0.3125 is a quarter of the way
    expect(costToTarget(evals, 'valAcc', 0.3125)).toEqual({ step: 12.5, tokens: 1250, flops: 1.25e7, deviceHours: 12.5 / 8 });
    // exactly on an evaluation: that evaluation's cost
    expect(costToTarget(evals, 'valAcc', 0.5)).toEqual({ step: 20, tokens: 2000, flops: 2e7, deviceHours: 2.5 });
  });

  it('interpolates a falling loss the same way (loss <= target)', () => {
    // losses: 3.5, 3, 2, 1; 2.5 is halfway between step 10 and step 20
    expect(costToTarget(evals, 'valLoss', 2.5)).toEqual({ step: 15, tokens: 1500, flops: 1.5e7, deviceHours: 15 / 8 });
    expect(costToTarget(evals, 'valLoss', 1.25)).toEqual({ step: 27.5, tokens: 2750, flops: 2.75e7, deviceHours: 27.5 / 8 });
  });

  it('returns the step-0 cost when the first evaluation already reaches the target', () => {
    const fromStep0 = curve([0.5, 0.625], RANDOM_RATE);
    expect(costToTarget(fromStep0, 'valAcc', 0.4)).toEqual({ step: 0, tokens: 0, flops: 0, deviceHours: 0 });
    expect(costToTarget(fromStep0, 'valLoss', 2.5)).toEqual({ step: 0, tokens: 0, flops: 0, deviceHours: 0 });
    // a first evaluation at step 5 (no step-0 eval) reports its own cost
    expect(costToTarget([ev(5, 0.5, 2, RANDOM_RATE)], 'valAcc', 0.5)).toEqual({ step: 5, tokens: 500, flops: 5e6, deviceHours: 5 / 8 });
  });

  it('returns null when no evaluation reaches the target', () => {
    expect(costToTarget(evals, 'valAcc', 0.8)).toBeNull();
    expect(costToTarget(evals, 'valLoss', 0.5)).toBeNull();
    expect(costToTarget([], 'valAcc', 0)).toBeNull();
  });
});

describe('analyze', () => {
  // seed 0: random ends at 0.5 (reached at step 20); the clone reaches 0.5 at step 5
  // seed 1: random ends at 0.375 (step 20); the clone reaches 0.375 at step 15
  // seed 2: random ends at 0.5 (step 20); the clone never gets there (budget 20 steps)
  // seed 3: only a clone run (its random arm never finished)
  const runs: ArmRun[] = [
    run('random', 0, [0.125, 0.25, 0.5]),
    run('clone:noisy-symmetric', 0, [0.25, 0.75, 0.75]),
    run('random', 1, [0.125, 0.25, 0.375]),
    run('clone:noisy-symmetric', 1, [0.125, 0.25, 0.5]),
    run('random', 2, [0.125, 0.25, 0.5]),
    run('clone:noisy-symmetric', 2, [0.125, 0.25, 0.375]),
    run('clone:noisy-symmetric', 3, [0.5, 0.75, 0.875]),
  ];
  const small = { steps: 30, tokens: 300, flops: 3e6, deviceHours: 0.5, finalValLoss: 2.75, finalValAcc: 0.3 } as Summary;
  const result = analyze({ runs, small, target: null, options: { width: 2 } });
  const clone = result.clones[0]!;

  it("sets the default target to each seed's random-arm final accuracy and drops a seed without a random run", () => {
    expect(result.format).toBe('hyperclone-bench');
    expect(result.version).toBe(1);
    expect(result.options).toEqual({ width: 2 });
    expect(result.target).toEqual({
      metric: 'valAcc',
      definition: "the random arm's final validation accuracy, per seed",
      perSeed: { '0': 0.5, '1': 0.375, '2': 0.5 },
    });
    expect(Object.keys(result.arms).sort()).toEqual(['clone:noisy-symmetric', 'random']);
    expect(result.arms['clone:noisy-symmetric']!.map((o) => o.seed)).toEqual([0, 1, 2]);
    expect(result.arms['random']!.map((o) => o.target)).toEqual([0.5, 0.375, 0.5]);
    expect(result.clones.map((c) => c.arm)).toEqual(['clone:noisy-symmetric']);
    expect(result.small).toEqual({ steps: 30, tokens: 300, flops: 3e6, deviceHours: 0.5, finalValLoss: 2.75, finalValAcc: 0.3 });
  });

  it("records each arm's cost to target, and a missed target as null with the whole budget", () => {
    const [c0, c1, c2] = result.arms['clone:noisy-symmetric']!;
    expect(c0!.cost).toEqual({ step: 5, tokens: 500, flops: 5e6, deviceHours: 1.25 });
    expect(c1!.cost).toEqual({ step: 15, tokens: 1500, flops: 1.5e7, deviceHours: 3.75 });
    expect(c2!.cost).toBeNull();
    expect(c2!.budget).toEqual({ step: 20, tokens: 2000, flops: 2e7, deviceHours: 5 });
    expect(c2).toMatchObject({ seed: 2, target: 0.5, finalValAcc: 0.375, finalValLoss: 2.5, runDir: '/runs/clone:noisy-symmetric-seed2' });
    for (const r of result.arms['random']!) expect(r.cost).toEqual({ step: 20, tokens: 2000, flops: 2e7, deviceHours: 2.5 });
    expect(clone.reached).toBe(2);
    expect(clone.seeds).toBe(3);
  });

  it('speedup = random cost / clone cost per seed, mean and sample std over the seeds that reached it', () => {
    // flops and tokens: 20/5 = 4 and 20/15 = 4/3; device-hours (clone twice as slow): 2.5/1.25 = 2, 2.5/3.75 = 2/3
    for (const key of ['flops', 'tokens'] as const) {
      const s = clone.smallFree[key];
      expect(s.perSeed[0]).toBeCloseTo(4, 12);
      expect(s.perSeed[1]).toBeCloseTo(4 / 3, 12);
      expect(s.perSeed[2]).toBeNull();
      expect(s.mean).toBeCloseTo(8 / 3, 12);
      expect(s.std).toBeCloseTo(8 / 3 / Math.SQRT2, 12);
    }
    const dh = clone.smallFree.deviceHours;
    expect(dh.perSeed).toEqual([2, 2 / 3, null]);
    expect(dh.mean).toBeCloseTo(4 / 3, 12);
    expect(dh.std).toBeCloseTo(4 / 3 / Math.SQRT2, 12);
  });

  it('the t-test counts a missed clone seed at its whole budget', () => {
    // random flops [2e7, 2e7, 2e7] vs clone [5e6, 1.5e7, 2e7 (missed: budget)]
    const expected = welchTTest([2e7, 2e7, 2e7], [5e6, 1.5e7, 2e7]).p;
    expect(clone.smallFree.flops.p).toBeCloseTo(expected, 12);
    // independently: diff 6.667e6, clone variance 5.8333e13, se sqrt(5.8333e13 / 3), t = 1.5119, df = 2 -> p = 0.2697
    expect(clone.smallFree.flops.p).toBeCloseTo(0.2697, 4);
    expect(clone.smallFree.deviceHours.p).toBeCloseTo(welchTTest([2.5, 2.5, 2.5], [1.25, 3.75, 5]).p, 12);
    // had the miss been dropped instead, the p-value would differ
    expect(clone.smallFree.flops.p).not.toBeCloseTo(welchTTest([2e7, 2e7], [5e6, 1.5e7]).p, 3);
  });

  it("counting every phase: the small model's cost added to every clone seed", () => {
    const s = clone.everyPhase!;
    // flops: 2e7 / (5e6 + 3e6) = 2.5, 2e7 / (1.5e7 + 3e6) = 10/9; tokens: 2000 / 800, 2000 / 1800
    for (const key of ['flops', 'tokens'] as const) {
      expect(s[key].perSeed[0]).toBeCloseTo(2.5, 12);
      expect(s[key].perSeed[1]).toBeCloseTo(10 / 9, 12);
      expect(s[key].perSeed[2]).toBeNull();
      expect(s[key].mean).toBeCloseTo(mean([2.5, 10 / 9]), 12);
      expect(s[key].std).toBeCloseTo(std([2.5, 10 / 9]), 12);
    }
    // device-hours: 2.5 / (1.25 + 0.5), 2.5 / (3.75 + 0.5)
    expect(s.deviceHours.perSeed[0]).toBeCloseTo(2.5 / 1.75, 12);
    expect(s.deviceHours.perSeed[1]).toBeCloseTo(2.5 / 4.25, 12);
    // the miss counts its budget plus the small model
    expect(s.flops.p).toBeCloseTo(welchTTest([2e7, 2e7, 2e7], [8e6, 1.8e7, 2.3e7]).p, 12);
  });

  it('without a small-model summary there are no every-phase speedups for the clone', () => {
    const r = analyze({ runs, small: null, target: null, options: {} });
    expect(r.small).toBeNull();
    expect(r.clones[0]!.everyPhase).toBeNull();
    expect(r.clones[0]!.smallFree.flops.mean).toBeCloseTo(8 / 3, 12);
  });

  it('a given target applies to every seed and keeps a seed without a random run', () => {
    // loss = 4 - 4·acc; target loss 2 (acc 0.5)
    const r = analyze({ runs, small: null, target: { metric: 'valLoss', value: 2 }, options: {} });
    expect(r.target).toEqual({ metric: 'valLoss', definition: 'given', perSeed: { '0': 2, '1': 2, '2': 2, '3': 2 } });
    const clones = r.arms['clone:noisy-symmetric']!;
    expect(clones.map((o) => o.seed)).toEqual([0, 1, 2, 3]);
    expect(clones.map((o) => o.cost?.step ?? null)).toEqual([5, 20, null, 0]);
    // random seed 1 never reaches loss 2 (it ends at 2.5), seed 3 has no random run: no speedup for either
    expect(r.arms['random']!.map((o) => o.cost?.step ?? null)).toEqual([20, null, 20]);
    expect(r.clones[0]!.smallFree.flops.perSeed).toEqual([4, null, null, null]);
    expect(r.clones[0]!.reached).toBe(3);
  });

  it('refuses to set a default target for a random run with no evaluations', () => {
    const empty: ArmRun = { ...run('random', 0, [0.5]), evals: [] };
    expect(() => analyze({ runs: [empty], small: null, target: null, options: {} })).toThrow(
      /no random-arm evaluation for seed 0: cannot set the default target/,
    );
  });

  it('has no by-budget rows unless every run used a constant learning rate', () => {
    expect(result.byBudget).toBeUndefined();
    expect(analyze({ runs, small, target: null, options: { schedule: 'cosine' } }).byBudget).toBeUndefined();
    expect(analyze({ runs, small, target: { metric: 'valAcc', value: 0.5 }, options: { schedule: 'constant' } }).byBudget).toBeUndefined();
  });

  it('under a constant learning rate, the speedup had every arm stopped at each earlier evaluation', () => {
    const rows = analyze({ runs, small, target: null, options: { schedule: 'constant' } }).byBudget!;
    expect(rows.map((r) => [r.step, r.tokens, r.flops])).toEqual([
      [10, 1000, 1e7],
      [20, 2000, 2e7],
    ]);
    // budget 10: targets are the random arms' accuracies at step 10 (0.25 for every seed), which random
    // reaches at step 10; clones: seed 0 starts at 0.25 (step 0: infinite speedup), seeds 1 and 2 reach it at 10
    const at10 = rows[0]!.clones['clone:noisy-symmetric']!;
    expect(at10.seeds).toBe(3); // seed 3 has no random arm, so no target
    expect(at10.reached).toBe(3);
    expect(at10.smallFree.flops.perSeed).toEqual([Infinity, 1, 1]);
    // with the small model's 3e6 FLOPs: 1e7 / 3e6, 1e7 / 1.3e7 twice
    expect(at10.everyPhase!.flops.perSeed[0]).toBeCloseTo(10 / 3, 12);
    expect(at10.everyPhase!.flops.perSeed[1]).toBeCloseTo(10 / 13, 12);
    // the last budget is the whole benchmark: the same numbers as the main table
    const last = rows[1]!.clones['clone:noisy-symmetric']!;
    expect(last.smallFree).toEqual(clone.smallFree);
    expect(last.everyPhase).toEqual(clone.everyPhase);
    expect(last.reached).toBe(clone.reached);
  });
});

describe('analyze: a staged arm from scratch, counted every phase and with its small stages free', () => {
  // random: 20 steps at 1e6 FLOPs each, 100 tokens, 1000 parameters, ends at 0.5.
  // staged: 10 small steps at 2.5e5 FLOPs, then grown; 20 wide steps at 1e6 (30 in all), evaluations every 10 steps
  const SMALL: Rate = { tokens: 100, flops: 2.5e5, deviceHours: 1 / 32 };
  function staged(seed: number, accs: number[]): ArmRun {
    const evals = accs.map((acc, i) => {
      const step = i * 10;
      const small = Math.min(step, 10);
      const wide = step - small;
      return {
        ...ev(step, acc, 4 - 4 * acc, RANDOM_RATE),
        flops: small * SMALL.flops + wide * 1e6,
        deviceHours: small * SMALL.deviceHours + (wide * 1) / 8,
        stage: step <= 10 ? 0 : 1,
      };
    });
    const stageOf = (fromStep: number, toStep: number, rate: Rate) => ({
      fromStep,
      toStep,
      tokens: (toStep - fromStep) * rate.tokens,
      flops: (toStep - fromStep) * rate.flops,
      deviceHours: (toStep - fromStep) * rate.deviceHours,
    });
    const summary = {
      ...summaryOf(evals),
      steps: 30,
      stages: [stageOf(0, 10, SMALL), stageOf(10, 30, RANDOM_RATE)],
    } as unknown as Summary;
    return { arm: 'stages', seed, runDir: `/runs/stages-seed${seed}`, summary, evals };
  }
  const random = (seed: number): ArmRun => {
    const r = run('random', seed, [0.125, 0.25, 0.5]);
    return { ...r, summary: { ...r.summary, params: 1000 } };
  };
  // seed 0 reaches 0.5 at step 20 (10 small + 10 wide steps: 2.5e6 + 1e7 FLOPs); seed 1 at step 25 (10 small + 15 wide)
  const runs = [random(0), staged(0, [0.125, 0.25, 0.5, 0.6]), random(1), staged(1, [0.125, 0.25, 0.375, 0.625])];
  const small = { steps: 30, tokens: 300, flops: 3e6, deviceHours: 0.5, finalValLoss: 2.75, finalValAcc: 0.3 } as Summary;
  const result = analyze({ runs, small, target: null, options: { schedule: 'constant' } });
  const arm = result.clones.find((c) => c.arm === 'stages')!;

  it('counts every phase from its step 0, adding no small model, and frees its small stages on request', () => {
    expect(result.wideParams).toBe(1000);
    expect(result.arms['stages']!.map((o) => o.smaller)).toEqual([
      { before: { tokens: 0, flops: 0, deviceHours: 0 }, inRun: { tokens: 1000, flops: 2.5e6, deviceHours: 10 / 32 } },
      { before: { tokens: 0, flops: 0, deviceHours: 0 }, inRun: { tokens: 1000, flops: 2.5e6, deviceHours: 10 / 32 } },
    ]);
    expect(arm.everyPhase!.flops.perSeed[0]).toBeCloseTo(2e7 / 1.25e7, 12);
    expect(arm.everyPhase!.flops.perSeed[1]).toBeCloseTo(2e7 / 1.75e7, 12);
    expect(arm.smallFree.flops.perSeed[0]).toBeCloseTo(2e7 / 1e7, 12);
    expect(arm.smallFree.flops.perSeed[1]).toBeCloseTo(2e7 / 1.5e7, 12);
    // in tokens the small stages cost as much per step as the wide ones
    expect(arm.everyPhase!.tokens.perSeed).toEqual([1, 2000 / 2500]);
  });

  it('stops a staged arm at its last growth + each budget, and puts tokens per parameter beside it', () => {
    const rows = result.byBudget!;
    expect(rows.map((r) => [r.step, r.tokens, r.tokensPerParam])).toEqual([
      [10, 1000, 1],
      [20, 2000, 2],
    ]);
    // budget 10: target 0.25 (random at step 10), which the staged run met at its step 10, before its growth: all of it small
    const at10 = rows[0]!.clones['stages']!;
    expect(at10.everyPhase!.flops.perSeed).toEqual([1e7 / 2.5e6, 1e7 / 2.5e6]);
    expect(at10.smallFree.flops.perSeed).toEqual([Infinity, Infinity]);
    // budget 20 is the whole benchmark (the staged arm may run to its step 30)
    expect(rows[1]!.clones['stages']!.everyPhase).toEqual(arm.everyPhase);
  });
});
