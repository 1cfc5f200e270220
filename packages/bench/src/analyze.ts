// From finished runs to the benchmark's numbers: per-seed targets, cost to target per arm, and
// speedups (random / arm) in FLOPs, tokens and device-hours with mean ± std and Welch p-values, counted
// two ways: every phase from step 0 of the smallest model (what a user without a model pays), and with
// the smaller phases free. Not training (compare.ts) or rendering (report.ts).

import type { EvalEvent, Summary } from '@hyperclone/trainer';
import { isStagedArm } from './bench-options.js';
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

export type CostKey = 'flops' | 'tokens' | 'deviceHours';
export const COST_KEYS: CostKey[] = ['flops', 'tokens', 'deviceHours'];

/** A cost without a step: what a phase spent. */
export type Spent = Omit<Cost, 'step'>;

export interface SeedOutcome {
  seed: number;
  target: number;
  finalValAcc: number | null;
  finalValLoss: number | null;
  /** Cost at the first evaluation reaching the target, from the run's step 0; null when the budget ran out first. */
  cost: Cost | null;
  /** What the run spent in all (a missed target counts this much in the t-test). */
  budget: Cost;
  /**
   * What the arm spent at a smaller size: before its run (a clone's small model; null when its cost is
   * unknown) and inside it (a staged run's stages before the last, up to the target or the budget).
   */
  smaller: { before: Spent | null; inRun: Spent };
  /** Relative to the benchmark's directory, e.g. runs/random-seed0. */
  runDir: string;
}

export interface SpeedupStats {
  /** random cost / arm cost per seed (seeds where both reached the target). */
  perSeed: (number | null)[];
  mean: number | null;
  std: number | null;
  /** Welch's t-test of random vs arm cost over seeds (an arm that missed counts its whole budget); null when neither arm's costs vary over seeds. */
  p: number | null;
}

/** The two ways an arm's cost is counted. */
export interface ArmSpeedups {
  /**
   * What a user without a model pays: every phase from step 0 of the smallest model (a clone's small model's
   * training, a staged run's small stages) to the target. null when a clone's small model has no known cost.
   */
  everyPhase: Record<CostKey, SpeedupStats> | null;
  /** The small model free: the cost at the final size only (a clone's own run; a staged run after its last growth). */
  smallFree: Record<CostKey, SpeedupStats>;
}

export interface CloneArmResult extends ArmSpeedups {
  arm: string;
  reached: number;
  seeds: number;
  /** Against the reference arm (options.reference, e.g. clone:noisy-symmetric): its cost / this arm's, counted both ways. */
  versus: Versus | null;
}

export interface Versus extends ArmSpeedups {
  arm: string;
}

/**
 * The speedup had the random arm's budget been any earlier evaluation step b: target = the random
 * arm's accuracy at b, every arm's costs counted up to b (a staged arm's up to its last growth + b).
 * Exact only under a constant learning rate (a run with budget b is then the first b steps of this
 * one), so it is computed only for those.
 */
export interface BudgetRow {
  step: number;
  tokens: number;
  flops: number;
  /** The random arm's tokens at b over its parameters. */
  tokensPerParam: number | null;
  clones: Record<string, ArmSpeedups & { reached: number; seeds: number; versus?: Versus | null }>;
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
  /** The random arm's parameters (the final size every arm reaches). */
  wideParams: number | null;
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
  const smallCost = input.small ? { tokens: input.small.tokens, flops: input.small.flops, deviceHours: input.small.deviceHours } : null;

  const arms: Record<string, SeedOutcome[]> = {};
  for (const r of runs) (arms[r.arm] ??= []).push(outcomeOf(r, r.evals, targetFor(r.seed), metric, smallCost));

  const random = arms['random'] ?? [];
  const reference = typeof input.options['reference'] === 'string' ? input.options['reference'] : null;
  const clones = Object.keys(arms)
    .filter((a) => a !== 'random')
    .map((arm): CloneArmResult => {
      const outcomes = arms[arm]!;
      return {
        arm,
        reached: outcomes.filter((o) => o.cost !== null).length,
        seeds: outcomes.length,
        ...armSpeedups(outcomes, random),
        versus: versus(arm, outcomes, reference, arms),
      };
    });

  const wideParams = [...randomBySeed.values()][0]?.summary.params ?? null;
  const byBudget =
    !input.target && input.options['schedule'] === 'constant' ? budgetRows(runs, metric, smallCost, reference, wideParams) : null;

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
    wideParams,
    arms,
    clones,
    ...(byBudget ? { byBudget } : {}),
  };
}

const NOTHING: Spent = { tokens: 0, flops: 0, deviceHours: 0 };

/** One run's outcome against `target` over `evals` (all of its evaluations, or those up to a budget). */
function outcomeOf(r: ArmRun, evals: EvalEvent[], target: number, metric: TargetMetric, smallCost: Spent | null): SeedOutcome {
  const last = evals.at(-1)!;
  const whole = evals.length === r.evals.length;
  const cost = costToTarget(evals, metric, target);
  const budget = whole
    ? { step: r.summary.steps, tokens: r.summary.tokens, flops: r.summary.flops, deviceHours: r.summary.deviceHours }
    : { step: last.step, tokens: last.tokens, flops: last.flops, deviceHours: last.deviceHours };
  return {
    seed: r.seed,
    target,
    finalValAcc: whole ? r.summary.finalValAcc : last.val.acc,
    finalValLoss: whole ? r.summary.finalValLoss : last.val.loss,
    cost,
    budget,
    smaller: {
      before: r.arm === 'random' || isStagedArm(r.arm) ? NOTHING : smallCost,
      inRun: smallerInRun(r, (cost ?? budget).step),
    },
    runDir: r.runDir,
  };
}

/** A staged run's cost before its last growth, up to step `upTo` (its summary's stages; nothing for a run that does not grow). */
function smallerInRun(r: ArmRun, upTo: number): Spent {
  const stages = r.summary.stages;
  if (!stages || stages.length < 2) return NOTHING;
  const last = stages.at(-1)!;
  if (upTo <= last.fromStep) {
    const e = [...r.evals].reverse().find((x) => x.step <= upTo) ?? r.evals[0]!;
    return { tokens: e.tokens, flops: e.flops, deviceHours: e.deviceHours }; // not grown yet: all of it is smaller
  }
  return stages
    .slice(0, -1)
    .reduce((a, st) => ({ tokens: a.tokens + st.tokens, flops: a.flops + st.flops, deviceHours: a.deviceHours + st.deviceHours }), NOTHING);
}

/** An outcome's cost (its budget when it missed) counted every phase, or with the smaller phases free. */
function counted(o: SeedOutcome, how: keyof ArmSpeedups, key: CostKey): number | null {
  const c = (o.cost ?? o.budget)[key];
  if (how === 'smallFree') return c - o.smaller.inRun[key];
  return o.smaller.before === null ? null : c + o.smaller.before[key];
}

function armSpeedups(outcomes: SeedOutcome[], base: SeedOutcome[]): ArmSpeedups {
  const known = [...outcomes, ...base].every((o) => o.smaller.before !== null);
  return {
    everyPhase: known ? speedups(base, outcomes, 'everyPhase') : null,
    smallFree: speedups(base, outcomes, 'smallFree'),
  };
}

/** This arm against the reference arm: the reference's cost over this one's, seed by seed. */
function versus(arm: string, outcomes: SeedOutcome[], reference: string | null, arms: Record<string, SeedOutcome[]>): Versus | null {
  const ref = reference ? arms[reference] : undefined;
  if (!reference || !ref || arm === reference) return null;
  return { arm: reference, ...armSpeedups(outcomes, ref) };
}

function budgetRows(
  runs: ArmRun[],
  metric: TargetMetric,
  smallCost: Spent | null,
  reference: string | null,
  wideParams: number | null,
): BudgetRow[] {
  const random = runs.filter((r) => r.arm === 'random');
  const cloneArms = [...new Set(runs.map((r) => r.arm))].filter((a) => a !== 'random');
  // budgets every random seed evaluated at (the clones evaluate at the same steps)
  const steps = random.length
    ? random.map((r) => new Set(r.evals.map((e) => e.step))).reduce((a, b) => new Set([...a].filter((s) => b.has(s))))
    : new Set<number>();
  const randomSteps = random[0]?.summary.steps ?? 0;
  const rows: BudgetRow[] = [];
  for (const step of [...steps].filter((s) => s > 0).sort((a, b) => a - b)) {
    // a staged run's small phase comes before its budget: it stops at its last growth + b
    const capOf = (r: ArmRun) => step + Math.max(0, r.summary.steps - randomSteps);
    const upTo = (r: ArmRun) => r.evals.filter((e) => e.step <= capOf(r));
    const targets = new Map(random.map((r) => [r.seed, metricOf(upTo(r).at(-1)!, metric)]));
    const outcome = (r: ArmRun): SeedOutcome => outcomeOf(r, upTo(r), targets.get(r.seed)!, metric, smallCost);
    const randomOutcomes = random.map(outcome);
    const first = randomOutcomes[0]!.budget;
    const row: BudgetRow = {
      step,
      tokens: first.tokens,
      flops: first.flops,
      tokensPerParam: wideParams ? first.tokens / wideParams : null,
      clones: {},
    };
    const byArm: Record<string, SeedOutcome[]> = {};
    for (const arm of cloneArms) {
      const outcomes = runs.filter((r) => r.arm === arm && targets.has(r.seed) && r.evals.some((e) => e.step === capOf(r))).map(outcome);
      if (outcomes.length) byArm[arm] = outcomes;
    }
    for (const [arm, outcomes] of Object.entries(byArm)) {
      row.clones[arm] = {
        reached: outcomes.filter((o) => o.cost !== null).length,
        seeds: outcomes.length,
        ...armSpeedups(outcomes, randomOutcomes),
        versus: versus(arm, outcomes, reference, byArm),
      };
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Seed by seed, the base arm's cost over this arm's, each counted `how`; the t-test compares the same
 * costs, an arm that missed the target counting its whole budget.
 */
function speedups(base: SeedOutcome[], arm: SeedOutcome[], how: keyof ArmSpeedups): Record<CostKey, SpeedupStats> {
  const out = {} as Record<CostKey, SpeedupStats>;
  for (const key of COST_KEYS) {
    const pairs = arm.map((c) => ({ c, r: base.find((r) => r.seed === c.seed) ?? null }));
    const perSeed = pairs.map(({ c, r }) => (c.cost && r?.cost ? counted(r, how, key)! / counted(c, how, key)! : null));
    const valid = perSeed.filter((v): v is number => v !== null);
    const baseCosts = pairs.filter((p) => p.r).map(({ r }) => counted(r!, how, key)!);
    const armCosts = pairs.map(({ c }) => counted(c, how, key)!);
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
