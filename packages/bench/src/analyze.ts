// From finished runs to the benchmark's numbers: per-seed targets, cost to target per arm, and
// speedups (random / clone) in FLOPs, tokens and device-hours with mean ± std and Welch p-values,
// with and without the small model's cost. Not training (compare.ts) or rendering (report.ts).

import type { EvalEvent, Summary } from '@hyperclone/trainer';
import { mean, std, welchTTest } from './stats.js';
import { costToTarget, metricOf, type Cost, type TargetMetric } from './time-to-target.js';

export interface ArmRun {
  arm: string;
  seed: number;
  /** The run's directory relative to the benchmark's (summary.json records it so). */
  runDir: string;
  summary: Summary;
  evals: EvalEvent[];
}

/** The label of the benchmark's staged arm: it trains its own small phase, so no small model's cost is added to it. */
export const STAGED_ARM = 'stages';

export type CostKey = 'flops' | 'tokens' | 'deviceHours';
export const COST_KEYS: CostKey[] = ['flops', 'tokens', 'deviceHours'];

export interface SeedOutcome {
  seed: number;
  target: number;
  finalValAcc: number | null;
  finalValLoss: number | null;
  /** Cost at the first evaluation reaching the target; null when the budget ran out first. */
  cost: Cost | null;
  /** What the run spent in all (a missed target counts this much in the t-test). */
  budget: Cost;
  /** Relative to the benchmark's directory, e.g. runs/random-seed0. */
  runDir: string;
}

export interface SpeedupStats {
  /** random cost / clone cost per seed (seeds where both reached the target). */
  perSeed: (number | null)[];
  mean: number | null;
  std: number | null;
  /** Welch's t-test of random vs clone cost over seeds (an arm that missed counts its whole budget); null when neither arm's costs vary over seeds. */
  p: number | null;
}

export interface CloneArmResult {
  arm: string;
  reached: number;
  seeds: number;
  speedup: Record<CostKey, SpeedupStats>;
  /** The same, with the small model's training cost added to every clone seed (the staged arm's is its own). */
  speedupWithSmall: Record<CostKey, SpeedupStats> | null;
  /** Against the reference arm (options.reference, e.g. clone:noisy-symmetric): its cost / this arm's, and with the small model's cost on both sides. */
  versus: Versus | null;
}

export interface Versus {
  arm: string;
  speedup: Record<CostKey, SpeedupStats>;
  speedupWithSmall: Record<CostKey, SpeedupStats> | null;
}

/**
 * The speedup had the random arm's budget been any earlier evaluation step b: target = the random
 * arm's accuracy at b, both arms' costs counted up to b. Exact only under a constant learning rate
 * (a run with budget b is then the first b steps of this one), so it is computed only for those.
 */
export interface BudgetRow {
  step: number;
  tokens: number;
  flops: number;
  clones: Record<
    string,
    {
      reached: number;
      seeds: number;
      speedup: Record<CostKey, SpeedupStats>;
      speedupWithSmall: Record<CostKey, SpeedupStats> | null;
      versus?: Versus | null;
    }
  >;
}

export interface BenchResult {
  format: 'hyperclone-bench';
  version: 1;
  options: Record<string, unknown>;
  target: { metric: TargetMetric; definition: string; perSeed: Record<string, number> };
  small: {
    steps: number;
    tokens: number;
    flops: number;
    deviceHours: number;
    finalValLoss: number | null;
    finalValAcc: number | null;
  } | null;
  arms: Record<string, SeedOutcome[]>;
  clones: CloneArmResult[];
  /** Present when every run used a constant learning rate and the target is the default one. */
  byBudget?: BudgetRow[];
}

/** What the analysis reads of the small model's run: its cost and final metrics. */
export type SmallCost = Pick<Summary, 'steps' | 'tokens' | 'flops' | 'deviceHours' | 'finalValLoss' | 'finalValAcc'>;

export interface AnalyzeInput {
  runs: ArmRun[];
  small: SmallCost | null;
  target: { metric: TargetMetric; value: number } | null;
  options: Record<string, unknown>;
}

export function analyze(input: AnalyzeInput): BenchResult {
  const metric: TargetMetric = input.target?.metric ?? 'valAcc';
  const randomBySeed = new Map(input.runs.filter((r) => r.arm === 'random').map((r) => [r.seed, r]));
  // a seed whose random arm did not finish (an interrupted benchmark) has no default target
  const runs = input.target ? input.runs : input.runs.filter((r) => randomBySeed.has(r.seed));
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const targetFor = (seed: number): number => {
    if (input.target) return input.target.value;
    const random = randomBySeed.get(seed);
    const last = random?.evals.at(-1);
    if (!last) throw new Error(`no random-arm evaluation for seed ${seed}: cannot set the default target`);
    return metricOf(last, metric);
  };

  const arms: Record<string, SeedOutcome[]> = {};
  for (const r of runs) {
    const target = targetFor(r.seed);
    (arms[r.arm] ??= []).push({
      seed: r.seed,
      target,
      finalValAcc: r.summary.finalValAcc,
      finalValLoss: r.summary.finalValLoss,
      cost: costToTarget(r.evals, metric, target),
      budget: { step: r.summary.steps, tokens: r.summary.tokens, flops: r.summary.flops, deviceHours: r.summary.deviceHours },
      runDir: r.runDir,
    });
  }

  const random = arms['random'] ?? [];
  const smallCost = input.small ? { tokens: input.small.tokens, flops: input.small.flops, deviceHours: input.small.deviceHours } : null;
  const reference = typeof input.options['reference'] === 'string' ? input.options['reference'] : null;
  const clones = Object.keys(arms)
    .filter((a) => a !== 'random')
    .map((arm): CloneArmResult => {
      const outcomes = arms[arm]!;
      return {
        arm,
        reached: outcomes.filter((o) => o.cost !== null).length,
        seeds: outcomes.length,
        ...armSpeedups(arm, outcomes, random, smallCost),
        versus: versus(arm, outcomes, reference, arms, smallCost),
      };
    });

  const byBudget = !input.target && input.options['schedule'] === 'constant' ? budgetRows(runs, metric, smallCost, reference) : null;

  return {
    format: 'hyperclone-bench',
    version: 1,
    options: input.options,
    target: {
      metric,
      definition: input.target
        ? 'given'
        : `the random arm's final ${metric === 'valAcc' ? 'validation accuracy' : 'validation loss'}, per seed`,
      perSeed: Object.fromEntries(seeds.map((s) => [String(s), targetFor(s)])),
    },
    small: input.small
      ? {
          steps: input.small.steps,
          tokens: input.small.tokens,
          flops: input.small.flops,
          deviceHours: input.small.deviceHours,
          finalValLoss: input.small.finalValLoss,
          finalValAcc: input.small.finalValAcc,
        }
      : null,
    arms,
    clones,
    ...(byBudget ? { byBudget } : {}),
  };
}

/** The small model's cost an arm adds: none for the staged arm, which trains its own. */
function smallCostOf(arm: string, smallCost: SmallExtra | null): SmallExtra | null {
  return arm === STAGED_ARM ? null : smallCost;
}

type SmallExtra = Omit<Cost, 'step'>;

function armSpeedups(
  arm: string,
  outcomes: SeedOutcome[],
  random: SeedOutcome[],
  smallCost: SmallExtra | null,
): Pick<CloneArmResult, 'speedup' | 'speedupWithSmall'> {
  return {
    speedup: speedups(random, outcomes, null, null),
    speedupWithSmall: smallCost ? speedups(random, outcomes, null, smallCostOf(arm, smallCost)) : null,
  };
}

/** This arm against the reference arm: the reference's cost over this one's, seed by seed. */
function versus(
  arm: string,
  outcomes: SeedOutcome[],
  reference: string | null,
  arms: Record<string, SeedOutcome[]>,
  smallCost: SmallExtra | null,
): Versus | null {
  const ref = reference ? arms[reference] : undefined;
  if (!reference || !ref || arm === reference) return null;
  return {
    arm: reference,
    speedup: speedups(ref, outcomes, null, null),
    speedupWithSmall: smallCost ? speedups(ref, outcomes, smallCostOf(reference, smallCost), smallCostOf(arm, smallCost)) : null,
  };
}

function budgetRows(runs: ArmRun[], metric: TargetMetric, smallCost: SmallExtra | null, reference: string | null): BudgetRow[] {
  const random = runs.filter((r) => r.arm === 'random');
  const cloneArms = [...new Set(runs.map((r) => r.arm))].filter((a) => a !== 'random');
  // budgets every random seed evaluated at (the clones evaluate at the same steps)
  const steps = random.length
    ? random.map((r) => new Set(r.evals.map((e) => e.step))).reduce((a, b) => new Set([...a].filter((s) => b.has(s))))
    : new Set<number>();
  const rows: BudgetRow[] = [];
  for (const step of [...steps].filter((s) => s > 0).sort((a, b) => a - b)) {
    const upTo = (r: ArmRun) => r.evals.filter((e) => e.step <= step);
    const targets = new Map(random.map((r) => [r.seed, metricOf(upTo(r).at(-1)!, metric)]));
    const outcome = (r: ArmRun): SeedOutcome => {
      const evals = upTo(r);
      const last = evals.at(-1)!;
      const target = targets.get(r.seed)!;
      return {
        seed: r.seed,
        target,
        finalValAcc: last.val.acc,
        finalValLoss: last.val.loss,
        cost: costToTarget(evals, metric, target),
        budget: { step: last.step, tokens: last.tokens, flops: last.flops, deviceHours: last.deviceHours },
        runDir: r.runDir,
      };
    };
    const randomOutcomes = random.map(outcome);
    const first = randomOutcomes[0]!.budget;
    const row: BudgetRow = { step, tokens: first.tokens, flops: first.flops, clones: {} };
    const byArm: Record<string, SeedOutcome[]> = {};
    for (const arm of cloneArms) {
      const outcomes = runs.filter((r) => r.arm === arm && targets.has(r.seed) && r.evals.some((e) => e.step === step)).map(outcome);
      if (outcomes.length) byArm[arm] = outcomes;
    }
    for (const [arm, outcomes] of Object.entries(byArm)) {
      row.clones[arm] = {
        reached: outcomes.filter((o) => o.cost !== null).length,
        seeds: outcomes.length,
        ...armSpeedups(arm, outcomes, randomOutcomes, smallCost),
        versus: versus(arm, outcomes, reference, byArm, smallCost),
      };
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Seed by seed, (base cost + baseExtra) / (arm cost + armExtra); the t-test compares the same sums,
 * an arm that missed the target counting its whole budget.
 */
function speedups(
  base: SeedOutcome[],
  arm: SeedOutcome[],
  baseExtra: SmallExtra | null,
  armExtra: SmallExtra | null,
): Record<CostKey, SpeedupStats> {
  const out = {} as Record<CostKey, SpeedupStats>;
  for (const key of COST_KEYS) {
    const plus = (extra: SmallExtra | null) => extra?.[key] ?? 0;
    const pairs = arm.map((c) => ({ c, r: base.find((r) => r.seed === c.seed) ?? null }));
    const perSeed = pairs.map(({ c, r }) => (c.cost && r?.cost ? (r.cost[key] + plus(baseExtra)) / (c.cost[key] + plus(armExtra)) : null));
    const valid = perSeed.filter((v): v is number => v !== null);
    const baseCosts = pairs.filter((p) => p.r).map(({ r }) => (r!.cost ?? r!.budget)[key] + plus(baseExtra));
    const armCosts = pairs.map(({ c }) => (c.cost ?? c.budget)[key] + plus(armExtra));
    const test = welchTTest(baseCosts, armCosts);
    // costs that do not vary over seeds (every seed at the same step) leave nothing to test: no p
    const spread = std(baseCosts) > 0 || std(armCosts) > 0;
    out[key] = {
      perSeed,
      mean: valid.length ? mean(valid) : null,
      std: valid.length ? std(valid) : null,
      p: Number.isNaN(test.p) || !spread ? null : test.p,
    };
  }
  return out;
}
