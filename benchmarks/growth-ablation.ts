// The ablation of growth from scratch: finished `hyperclone train --grow-at` runs (the arms, one lever each)
// against random-init runs of the final size, at several budgets, counted every phase and with the small
// stages free, plus the ceiling a perfect growth could reach. Not a test (no assertions): prints a table and
// writes JSON with every curve it read, so the numbers can be checked without the runs.
//
//   npx tsx --conditions=@hyperclone/source benchmarks/growth-ablation.ts --random RUN[,RUN...] \
//     --arm NAME=RUN[,RUN...] [--arm ...] --budgets 600,1000 [--out benchmarks/results/growth-ablation.json]
//
// Runs are matched by seed (config.json's `seed`). Budgets are the random runs' evaluation steps b: the target is
// the random run's validation accuracy at b (a constant learning rate makes that a b-step run's final accuracy),
// and an arm's cost is its FLOPs from its step 0 to the first evaluation at the target, interpolated, with no cap
// on its steps. "Small free" subtracts what the arm spent before its last growth. The ceiling: the best a growth
// after step g could do had the grown model gone on as the random one does from the same accuracy: the random
// run's FLOPs to the small stage's accuracy at g, minus the small stage's own FLOPs.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { costToTarget, mean, std, welchTTest } from '@hyperclone/bench';
import type { EvalEvent, RunConfig, Summary } from '@hyperclone/trainer';

interface Run {
  dir: string;
  seed: number;
  /** The final model's parameters. */
  params: number;
  evals: EvalEvent[];
  /** FLOPs and tokens spent before the last growth (0 for a run that does not grow). */
  smallFlops: number;
  growAt: unknown;
  growthStep: number | null;
  steps: number;
}

function readRun(dir: string): Run {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfig;
  const evals = readFileSync(join(dir, 'eval.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EvalEvent);
  const last = config.stages.at(-1)!;
  const growthStep = config.stages.length > 1 ? last.fromStep : null;
  let smallFlops = 0;
  if (growthStep !== null) {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
    smallFlops = summary.stages!.slice(0, -1).reduce((s, st) => s + st.flops, 0);
  }
  return { dir, seed: config.seed, params: last.params, evals, smallFlops, growAt: config.growAt, growthStep, steps: evals.at(-1)!.step };
}

interface Cell {
  perSeed: (number | null)[];
  mean: number | null;
  std: number | null;
  p: number | null;
}

function cell(randomCosts: number[], armCosts: (number | null)[], armBudgets: number[]): Cell {
  const perSeed = armCosts.map((c, i) => (c === null ? null : randomCosts[i]! / c));
  const valid = perSeed.filter((v): v is number => v !== null);
  const test = welchTTest(
    randomCosts,
    armCosts.map((c, i) => c ?? armBudgets[i]!),
  );
  return {
    perSeed,
    mean: valid.length ? mean(valid) : null,
    std: valid.length > 1 ? std(valid) : null,
    p: Number.isNaN(test.p) ? null : test.p,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const values = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]!] : []));
  const randoms = values('random')
    .flatMap((v) => v.split(','))
    .map(readRun);
  const budgets = (values('budgets')[0] ?? '').split(',').filter(Boolean).map(Number);
  const arms = values('arm').map((v) => {
    const [name, dirs] = [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)];
    return { name, runs: dirs.split(',').map(readRun) };
  });
  if (!randoms.length || !arms.length || !budgets.length)
    throw new Error('usage: --random RUN[,RUN...] --arm NAME=RUN[,RUN...] ... --budgets B,B');
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
    const byBudget = budgets.map((b) => {
      const targets = runs.map((r) => at(randomOf(r.seed), b));
      const randomCosts = targets.map((t) => t.flops);
      const costs = runs.map((r, i) => costToTarget(r.evals, 'valAcc', targets[i]!.val.acc)?.flops ?? null);
      const budgetsOf = runs.map((r) => r.evals.at(-1)!.flops);
      return {
        budget: b,
        targetAcc: targets.map((t) => t.val.acc),
        tokensPerParam: targets[0]!.tokens / randomOf(runs[0]!.seed).params,
        everyPhase: cell(randomCosts, costs, budgetsOf),
        smallFree: cell(
          randomCosts,
          costs.map((c, i) => (c === null ? null : c - runs[i]!.smallFlops)),
          budgetsOf.map((f, i) => f - runs[i]!.smallFlops),
        ),
      };
    });
    // the ceiling of a perfect growth after step g: random's FLOPs to the small stage's accuracy at g, minus the small stage's
    const ceiling = runs.map((r) => {
      if (r.growthStep === null) return null;
      const before = at(r, r.growthStep);
      const reach = costToTarget(randomOf(r.seed).evals, 'valAcc', before.val.acc);
      return reach ? { growthStep: r.growthStep, smallAcc: before.val.acc, savedFlops: reach.flops - r.smallFlops } : null;
    });
    return { arm: name, runs: runs.map((r) => ({ dir: r.dir, seed: r.seed, growAt: r.growAt, steps: r.steps })), byBudget, ceiling };
  });

  const pad = (s: string, n: number) => s.padEnd(n);
  const fmt = (c: Cell) =>
    c.mean === null
      ? 'missed'
      : `${c.mean.toFixed(2)}${c.std !== null ? `±${c.std.toFixed(2)}` : ''}${c.p !== null ? ` p${c.p.toFixed(3)}` : ''}`;
  const perParam = budgets.map((b) => (at(randoms[0]!, b).tokens / randoms[0]!.params).toFixed(1));
  process.stdout.write(
    `${pad('arm', 28)}${budgets.map((b, i) => pad(`b=${b} (${perParam[i]} tok/param): every phase | small free`, 52)).join('')}ceiling (FLOPs saved at best)\n`,
  );
  for (const r of results) {
    const cells = r.byBudget.map((x) => pad(`${fmt(x.everyPhase)} | ${fmt(x.smallFree)}`, 52)).join('');
    const ceil = r.ceiling.map((c) => (c ? c.savedFlops.toExponential(2) : '-')).join(',');
    process.stdout.write(`${pad(r.arm, 28)}${cells}${ceil}\n`);
  }
  const out = values('out')[0];
  if (out) {
    const curves = Object.fromEntries(
      [...randoms, ...arms.flatMap((a) => a.runs)].map((r) => [
        r.dir,
        r.evals.map((e) => ({ step: e.step, tokens: e.tokens, flops: e.flops, acc: e.val.acc, loss: e.val.loss, stage: e.stage ?? 0 })),
      ]),
    );
    writeFileSync(
      out,
      JSON.stringify({ budgets, random: randoms.map((r) => ({ dir: r.dir, seed: r.seed })), arms: results, curves }, null, 1) + '\n',
    );
    process.stdout.write(`wrote ${out}\n`);
  }
}

main();
