// The ablation of growth from scratch: finished `hyperclone train --grow-at` runs (the arms, one lever each)
// against random-init runs of the final size, at several budgets, counted every phase and with the small
// stages free, plus the ceiling a perfect growth could reach. Not a test (no assertions): prints a table and
// writes JSON with every curve it read (runs named by their folders), so the numbers can be checked without them.
//
//   npx tsx --conditions=@hyperclone/source benchmarks/growth-ablation.ts --random RUN[,RUN...] \
//     --arm NAME=RUN[,RUN...] [--arm ...] --budgets 600,1000 [--metric valAcc|valLoss] [--smooth K] [--out benchmarks/results/growth-ablation.json]
//
// Runs are matched by seed (config.json's `seed`). Budgets are the random runs' evaluation steps b: the target is
// the random run's validation accuracy (or, with --metric valLoss, its validation loss) at b, each curve first averaged
// over K evaluations with --smooth K (the mean of each evaluation and the K - 1 before it, on every run alike; where a
// curve is flat the first crossing of one noisy evaluation says little), (a constant learning rate makes that a b-step run's final accuracy),
// and an arm's cost is its FLOPs (and tokens) from its step 0 to the first evaluation at the target, interpolated,
// with no cap on its steps; an arm that never gets there is "missed" (its whole run enters the Welch test, a lower
// bound on its cost). "Small free" subtracts what the arm spent before its last growth ("before growth" where the arm
// reached the target before growing: there is nothing to count, and that seed leaves the test). The ceiling: the best a
// growth after step g could do had the grown model gone on as the random one does from the same accuracy: the
// random run's FLOPs to the small stage's accuracy at g, minus the small stage's own FLOPs; as a ratio at budget b,
// random(b) / (random(b) - saved).

import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { costToTarget, mean, metricOf, std, welchTTest, type Cost, type TargetMetric } from '@hyperclone/bench';
import type { EvalEvent, RunConfig } from '@hyperclone/trainer';
import { FlagError, int, ints, many, oneOf, readFlags, required, string } from './flags.js';

interface Run {
  dir: string;
  seed: number;
  /** The final model's parameters. */
  params: number;
  evals: EvalEvent[];
  /** What the run spent before its last growth (the evaluation at the growth step); zero for a run that does not grow. */
  small: Cost;
  growAt: unknown;
  growthStep: number | null;
  steps: number;
}

const NOTHING: Cost = { step: 0, tokens: 0, flops: 0, deviceHours: 0 };
const costOf = (e: EvalEvent): Cost => ({ step: e.step, tokens: e.tokens, flops: e.flops, deviceHours: e.deviceHours });

/** Each evaluation's validation loss and accuracy as the mean over it and the k - 1 before it (k = 1: as they are). */
function smoothed(evals: EvalEvent[], k: number): EvalEvent[] {
  return evals.map((e, i) => {
    const window = evals.slice(Math.max(0, i - k + 1), i + 1);
    return { ...e, val: { ...e.val, loss: mean(window.map((w) => w.val.loss)), acc: mean(window.map((w) => w.val.acc)) } };
  });
}

function readRun(dir: string, smooth: number): Run {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfig;
  const evals = smoothed(
    readFileSync(join(dir, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EvalEvent),
    smooth,
  );
  const last = config.stages.at(-1)!;
  const growthStep = config.stages.length > 1 ? last.fromStep : null;
  const atGrowth = growthStep === null ? undefined : evals.find((e) => e.step === growthStep && (e.stage ?? 0) < config.stages.length - 1);
  if (growthStep !== null && !atGrowth)
    throw new Error(`${dir} has no evaluation at its growth step ${growthStep}; evaluate at a divisor of it`);
  const small = atGrowth ? costOf(atGrowth) : NOTHING;
  return { dir, seed: config.seed, params: last.params, evals, small, growAt: config.growAt, growthStep, steps: evals.at(-1)!.step };
}

interface Cell {
  perSeed: (number | null)[];
  mean: number | null;
  std: number | null;
  p: number | null;
  /** Seeds left out because the arm reached the target before its last growth (small free has nothing to count there). */
  early: number;
}

/** The random runs' cost over the arm's, seed by seed; an arm that missed the target counts its whole run in the test. */
function cell(randomCosts: number[], armCosts: (number | null)[], armBudgets: number[]): Cell {
  // a cost of 0 or less: the target was reached before the last growth, which small free cannot count
  const early = armCosts.map((c) => c !== null && c <= 0);
  const kept = (xs: number[]) => xs.filter((_, i) => !early[i]);
  const perSeed = armCosts.map((c, i) => (c === null || early[i] ? null : randomCosts[i]! / c));
  const valid = perSeed.filter((v): v is number => v !== null);
  const test = welchTTest(kept(randomCosts), kept(armCosts.map((c, i) => c ?? armBudgets[i]!)));
  return {
    perSeed,
    mean: valid.length ? mean(valid) : null,
    std: valid.length > 1 ? std(valid) : null,
    p: valid.length === 0 || Number.isNaN(test.p) ? null : test.p, // no p where every seed missed: there is no cost to test
    early: early.filter(Boolean).length,
  };
}

/** One way of counting, in FLOPs and in tokens. */
function counted(randoms: Cost[], arms: (Cost | null)[], armEnds: Cost[], before: Cost[]) {
  const minus = (c: Cost | null, i: number, key: 'flops' | 'tokens') => (c === null ? null : c[key] - before[i]![key]);
  return {
    flops: cell(
      randoms.map((r) => r.flops),
      arms.map((c, i) => minus(c, i, 'flops')),
      armEnds.map((e, i) => e.flops - before[i]!.flops),
    ),
    tokens: cell(
      randoms.map((r) => r.tokens),
      arms.map((c, i) => minus(c, i, 'tokens')),
      armEnds.map((e, i) => e.tokens - before[i]!.tokens),
    ),
  };
}

/** One --arm: NAME=RUN[,RUN...]. */
function armOf(v: string): { name: string; dirs: string[] } {
  const eq = v.indexOf('=');
  if (eq < 1 || eq === v.length - 1) throw new FlagError(`--arm takes NAME=RUN[,RUN...] (got ${v})`);
  return { name: v.slice(0, eq), dirs: v.slice(eq + 1).split(',') };
}

function main(): void {
  const f = readFlags('benchmarks/growth-ablation.ts', {
    random: required(many(), 'RUN[,RUN...]'),
    arm: required(many(armOf), 'NAME=RUN[,RUN...]'),
    budgets: required(ints(), 'B[,B...]'),
    metric: oneOf<TargetMetric>(['valAcc', 'valLoss'], 'valAcc'),
    smooth: int(1),
    out: string(),
  });
  const { smooth, budgets, metric } = f;
  const randoms = f.random.flatMap((v) => v.split(',')).map((dir) => readRun(dir, smooth));
  const arms = f.arm.map(({ name, dirs }) => ({ name, runs: dirs.map((dir) => readRun(dir, smooth)) }));
  const randomOf = (seed: number): Run => {
    const r = randoms.find((x) => x.seed === seed);
    if (!r) throw new Error(`no random run of seed ${seed}`);
    return r;
  };
  const at = (r: Run, step: number): EvalEvent => {
    const e = r.evals.find((x) => x.step === step);
    if (!e) throw new Error(`${r.dir} has no evaluation at step ${step}`);
    return e;
  };

  const results = arms.map(({ name, runs }) => {
    // the ceiling of a perfect growth after step g: the random run's cost to the small stage's accuracy at g, minus
    // the small stage's own cost (what a grown model that went on as the random one does would save)
    const ceiling = runs.map((r) => {
      if (r.growthStep === null) return null;
      const smallValue = metricOf(at(r, r.growthStep), metric);
      const reach = costToTarget(randomOf(r.seed).evals, metric, smallValue);
      return reach
        ? { growthStep: r.growthStep, smallValue, savedFlops: reach.flops - r.small.flops, savedTokens: reach.tokens - r.small.tokens }
        : null;
    });
    const byBudget = budgets.map((b) => {
      const targets = runs.map((r) => at(randomOf(r.seed), b));
      const randomCosts = targets.map(costOf);
      const costs = runs.map((r, i) => costToTarget(r.evals, metric, metricOf(targets[i]!, metric)));
      const ends = runs.map((r) => costOf(r.evals.at(-1)!));
      const ceilings = ceiling.flatMap((c, i) => (c ? [randomCosts[i]!.flops / (randomCosts[i]!.flops - c.savedFlops)] : []));
      return {
        budget: b,
        target: targets.map((t) => metricOf(t, metric)),
        randomFlops: randomCosts.map((c) => c.flops),
        armFlops: costs.map((c) => c?.flops ?? null),
        tokensPerParam: targets[0]!.tokens / randomOf(runs[0]!.seed).params,
        everyPhase: counted(
          randomCosts,
          costs,
          ends,
          runs.map(() => NOTHING),
        ),
        smallFree: counted(
          randomCosts,
          costs,
          ends,
          runs.map((r) => r.small),
        ),
        /** The every-phase FLOPs ratio a perfect growth at the same step would reach (mean over seeds). */
        ceilingEveryPhase: ceilings.length ? mean(ceilings) : null,
      };
    });
    // where the arm stopped: the random run's FLOPs to the arm's final accuracy over the arm's FLOPs (below 1: behind)
    const atEnd = runs.map((r) => {
      const end = r.evals.at(-1)!;
      const reach = costToTarget(randomOf(r.seed).evals, metric, metricOf(end, metric));
      return {
        step: end.step,
        value: metricOf(end, metric),
        flops: end.flops,
        randomFlops: reach?.flops ?? null,
        ratio: reach ? reach.flops / end.flops : null,
      };
    });
    return {
      arm: name,
      atEnd,
      runs: runs.map((r) => ({ run: basename(r.dir), seed: r.seed, growAt: r.growAt, steps: r.steps })),
      byBudget,
      ceiling,
    };
  });

  const pad = (s: string, n: number) => s.padEnd(n);
  const fmt = (c: Cell) =>
    c.mean === null
      ? c.early > 0
        ? 'before growth'
        : 'missed'
      : `${c.mean.toFixed(2)}${c.std !== null ? `±${c.std.toFixed(2)}` : ''}${c.p !== null ? ` p${c.p.toFixed(3)}` : ''}`;
  const perParam = budgets.map((b) => (at(randoms[0]!, b).tokens / randoms[0]!.params).toFixed(1));
  process.stdout.write(
    `${pad('arm', 28)}${budgets.map((b, i) => pad(`b=${b} (${perParam[i]} tok/param): every phase | small free | ceiling`, 64)).join('')}${pad('ceiling (FLOPs saved at best)', 30)}at its end (${metric === 'valAcc' ? 'acc' : 'loss'} at step: every phase)\n`,
  );
  for (const r of results) {
    const cells = r.byBudget
      .map((x) => pad(`${fmt(x.everyPhase.flops)} | ${fmt(x.smallFree.flops)} | ${x.ceilingEveryPhase?.toFixed(2) ?? '-'}`, 64))
      .join('');
    const ceil = r.ceiling.map((c) => (c ? c.savedFlops.toExponential(2) : '-')).join(',');
    const end = r.atEnd.map((e) => `${e.value.toFixed(3)} at ${e.step}: ${e.ratio?.toFixed(2) ?? '-'}`).join(', ');
    process.stdout.write(`${pad(r.arm, 28)}${cells}${pad(ceil, 30)}${end}\n`);
  }
  const out = f.out;
  if (out) {
    const curves = Object.fromEntries(
      [...randoms, ...arms.flatMap((a) => a.runs)].map((r) => [
        basename(r.dir),
        r.evals.map((e) => ({ step: e.step, tokens: e.tokens, flops: e.flops, acc: e.val.acc, loss: e.val.loss, stage: e.stage ?? 0 })),
      ]),
    );
    writeFileSync(
      out,
      JSON.stringify(
        { metric, smooth, budgets, random: randoms.map((r) => ({ run: basename(r.dir), seed: r.seed })), arms: results, curves },
        null,
        1,
      ) + '\n',
    );
    process.stdout.write(`wrote ${out}\n`);
  }
}

main();
