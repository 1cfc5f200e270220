// The benchmark report: report.md and report.html with the speedup tables and SVG plots.
// Not the numbers (analyze.ts): everything here is presentation of a BenchResult.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArmSpeedups, BenchResult, BudgetRow, CloneArmResult, CostKey, SpeedupStats } from './analyze.js';
import { readPath } from '@hyperclone/trainer';
import { COST_KEYS } from './analyze.js';
import { barSpec, budgetSpec, curveSpec, evalCurvePoint, renderSvg, type CurvePoint, type CurveOptions } from './plots.js';
import { readEvals } from './time-to-target.js';
import { mean, std } from './stats.js';
import { REPORT_CSS } from './report-style.js';

const COST_TITLES: Record<CostKey, string> = { flops: 'FLOPs', tokens: 'tokens', deviceHours: 'device-hours' };

export interface Plot {
  file: string;
  title: string;
  svg: string;
}

/** Writes the report of `result` into `out`, the benchmark's directory (its runs' paths are relative to it). */
export async function writeReport(out: string, result: BenchResult): Promise<Plot[]> {
  const plots = await renderPlots(result, out);
  await mkdir(join(out, 'plots'), { recursive: true });
  for (const p of plots) await writeFile(join(out, 'plots', p.file), p.svg);
  await writeFile(join(out, 'report.md'), markdown(result, plots, out));
  await writeFile(join(out, 'report.html'), html(result, plots));
  return plots;
}

/** The by-budget table: about ten evenly spaced budgets, always the last; tokens per parameter beside each, every arm counted both ways. */
export function budgetTableRows(result: BenchResult): string[][] | null {
  const rows = result.byBudget;
  if (!rows?.length) return null;
  const arms = Object.keys(rows.at(-1)!.clones);
  const every = Math.max(1, Math.round(rows.length / 10));
  const picked = rows.filter((_, i) => (rows.length - 1 - i) % every === 0);
  const cell = (c: BudgetRow['clones'][string] | undefined, how: keyof ArmSpeedups): string => {
    const s = c?.[how];
    if (!c || !s) return '–';
    return `${speedupCell(s.flops)}${c.reached < c.seeds ? ` ${c.reached}/${c.seeds}` : ''}`;
  };
  const withVersus = arms.filter((a) => rows.some((r) => r.clones[a]?.versus));
  const reference = rows.flatMap((r) => Object.values(r.clones)).find((c) => c.versus)?.versus?.arm;
  const header = [
    "random arm's budget (steps)",
    'tokens',
    'tokens per parameter',
    ...arms.flatMap((a) => [
      `${a}: FLOPs speedup, every phase`,
      'small model free',
      ...(withVersus.includes(a) ? [`vs ${reference}, every phase`] : []),
    ]),
  ];
  return [
    header,
    ...picked.map((r) => [
      String(r.step),
      Math.round(r.tokens).toLocaleString('en-US'),
      fmt(r.tokensPerParam, 1),
      ...arms.flatMap((a) => [
        cell(r.clones[a], 'everyPhase'),
        cell(r.clones[a], 'smallFree'),
        ...(withVersus.includes(a) ? [r.clones[a]?.versus?.everyPhase ? speedupCell(r.clones[a]!.versus!.everyPhase!.flops) : '–'] : []),
      ]),
    ]),
  ];
}

/** Every evaluation of every run, read from the runs' eval.jsonl under `dir` (the benchmark's directory). */
export function curvePoints(result: BenchResult, dir: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const [arm, outcomes] of Object.entries(result.arms)) {
    for (const o of outcomes) {
      for (const e of readEvals(readPath(dir, o.runDir))) points.push(evalCurvePoint(arm, o.seed, e));
    }
  }
  return points;
}

async function renderPlots(result: BenchResult, dir: string): Promise<Plot[]> {
  const points = curvePoints(result, dir);
  const targets = Object.values(result.target.perSeed);
  const target = targets.length ? mean(targets) : null;
  const accTarget = result.target.metric === 'valAcc' ? target : null;
  const lossTarget = result.target.metric === 'valLoss' ? target : null;
  const curves: [string, CurveOptions][] = [
    [
      'accuracy-vs-flops.svg',
      { title: 'Validation accuracy vs training FLOPs (dashed: target)', x: 'flops', y: 'valAcc', target: accTarget },
    ],
    ['accuracy-vs-tokens.svg', { title: 'Validation accuracy vs tokens', x: 'tokens', y: 'valAcc', target: accTarget }],
    [
      'loss-vs-tokens.svg',
      { title: 'Validation loss vs tokens (clone curves start at step 0)', x: 'tokens', y: 'valLoss', target: lossTarget },
    ],
    ['accuracy-vs-device-hours.svg', { title: 'Validation accuracy vs device-hours', x: 'deviceHours', y: 'valAcc', target: accTarget }],
    ['loss-vs-device-hours.svg', { title: 'Validation loss vs device-hours', x: 'deviceHours', y: 'valLoss', target: lossTarget }],
  ];
  const plots: Plot[] = [];
  for (const [file, options] of curves) plots.push({ file, title: options.title, svg: await renderSvg(curveSpec(points, options)) });
  const cloned = points.filter((p) => p.arm !== 'random' && p.symmetry !== null);
  if (cloned.length) {
    const title = 'Clone symmetry over training (1 = copies still identical)';
    plots.push({ file: 'symmetry-vs-tokens.svg', title, svg: await renderSvg(curveSpec(cloned, { title, x: 'tokens', y: 'symmetry' })) });
  }
  const headline = (c: CloneArmResult) => c.everyPhase ?? c.smallFree;
  const bars = result.clones
    .filter((c) => headline(c).flops.mean !== null)
    .map((c) => ({ label: c.arm.replace('clone:', ''), mean: headline(c).flops.mean!, std: headline(c).flops.std ?? 0 }));
  if (bars.length) {
    const title = `FLOPs speedup to target by arm, ${result.clones.every((c) => c.everyPhase) ? 'every phase counted' : 'the small model free'} (mean ± std over seeds; 1 = no gain)`;
    plots.push({ file: 'variants-speedup.svg', title, svg: await renderSvg(barSpec(bars, title, 'speedup (random / clone)')) });
  }
  if (result.byBudget?.length) {
    const title =
      'FLOPs speedup had every arm stopped earlier, every phase counted (band: ±1 std; ∞, an arm at the target from its start, is left out)';
    const data = result.byBudget.flatMap((row) =>
      Object.entries(row.clones)
        .filter(([, c]) => (c.everyPhase ?? c.smallFree).flops.mean !== null)
        .map(([arm, c]) => {
          const s = (c.everyPhase ?? c.smallFree).flops;
          return { arm, tokens: row.tokens, mean: s.mean!, std: s.std ?? 0 };
        }),
    );
    plots.push({ file: 'speedup-vs-budget.svg', title, svg: await renderSvg(budgetSpec(data, title)) });
  }
  return plots;
}

const fmt = (v: number | null | undefined, digits = 2): string => {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return Number.isFinite(v) ? v.toFixed(digits) : '∞'; // ∞: the clone was at the target before its first step
};
const sci = (v: number): string => v.toExponential(3);
const pText = (p: number | null): string => (p === null ? '–' : p < 1e-4 ? '< 1e-4' : p.toFixed(4));

/**
 * mean ± std over seeds, and Welch's p where the costs had a spread to test. A clone already at the
 * target before its first step has an infinite speedup: said as "at the start" (the figure that
 * counts the small model's cost stays finite).
 */
function speedupCell(s: SpeedupStats): string {
  if (s.mean === null) return 'not reached';
  const finite = s.perSeed.filter((v): v is number => v !== null && Number.isFinite(v));
  const atStart = s.perSeed.filter((v) => v === Infinity).length;
  if (atStart > 0 && finite.length === 0) return 'at the start';
  const figure =
    atStart > 0 ? `${fmt(mean(finite))} ± ${fmt(std(finite))}x, ${atStart} more at the start` : `${fmt(s.mean)} ± ${fmt(s.std)}x`;
  return s.p === null ? figure : `${figure} (p ${pText(s.p)})`;
}

/** Rows of [header..., cells...] tables shared by the markdown and the HTML: every arm's speedups counted `how`. */
export function speedupRows(result: BenchResult, how: keyof ArmSpeedups): string[][] {
  const reference = result.clones.find((c) => c.versus)?.versus?.arm;
  const header = [
    'arm',
    'reached',
    ...COST_KEYS.map((k) => `speedup in ${COST_TITLES[k]}`),
    ...(reference ? [`FLOPs speedup vs ${reference}`] : []),
  ];
  const rows = result.clones.map((c: CloneArmResult) => {
    const s = c[how];
    const v = c.versus?.[how];
    return [
      c.arm,
      `${c.reached}/${c.seeds}`,
      ...COST_KEYS.map((k) => (s ? speedupCell(s[k]) : '–')),
      ...(reference ? [v ? speedupCell(v.flops) : '–'] : []),
    ];
  });
  return [header, ...rows];
}

/** Mean symmetry over seeds of every cloned arm at about eight evaluation steps (null when no arm was measured). */
export function symmetryRows(result: BenchResult, dir: string): string[][] | null {
  const points = curvePoints(result, dir).filter((p) => p.symmetry !== null);
  const arms = [...new Set(points.map((p) => p.arm))];
  if (!arms.length) return null;
  const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
  const every = Math.max(1, Math.round(steps.length / 8));
  const picked = steps.filter((_, i) => (steps.length - 1 - i) % every === 0);
  const cell = (arm: string, step: number): string => {
    const at = points.filter((p) => p.arm === arm && p.step === step).map((p) => p.symmetry!);
    return at.length ? fmt(mean(at), 3) : '–';
  };
  return [['step', ...arms], ...picked.map((step) => [String(step), ...arms.map((a) => cell(a, step))])];
}

export function seedRows(result: BenchResult): string[][] {
  const rows = [
    [
      'arm',
      'seed',
      'target acc',
      'final acc',
      'final loss',
      'steps to target',
      'tokens to target',
      'FLOPs to target',
      'device-hours to target',
    ],
  ];
  for (const [arm, outcomes] of Object.entries(result.arms)) {
    for (const o of outcomes) {
      rows.push([
        arm,
        String(o.seed),
        fmt(o.target, 4),
        fmt(o.finalValAcc, 4),
        fmt(o.finalValLoss, 4),
        o.cost ? o.cost.step.toFixed(1) : 'not reached',
        o.cost ? Math.round(o.cost.tokens).toLocaleString('en-US') : '–',
        o.cost ? sci(o.cost.flops) : '–',
        o.cost ? sci(o.cost.deviceHours) : '–',
      ]);
    }
  }
  return rows;
}

function mdTable(rows: string[][]): string {
  const [header, ...body] = rows;
  return [`| ${header!.join(' | ')} |`, `|${header!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function symmetryMarkdown(result: BenchResult, dir: string): string {
  const rows = symmetryRows(result, dir);
  return rows
    ? `## Clone symmetry over training\n\nMean over seeds of the paper's symmetry metric (1 = the copies are exact; a rotated clone is measured with its rotation undone).\n\n${mdTable(rows)}\n\n`
    : '';
}

function markdown(result: BenchResult, plots: Plot[], dir: string): string {
  const small = result.small;
  return `# Clone vs random: time to target

Target: ${result.target.definition} (${result.target.metric}: ${Object.entries(result.target.perSeed)
    .map(([s, v]) => `seed ${s} ${fmt(v, 4)}`)
    .join(', ')}).
Speedup = cost of the random arm to the target / cost of the arm to the same target, per seed; mean ± sample std over seeds; p = Welch's t-test of the two arms' costs.${result.wideParams ? ` Every arm ends at the random arm's size, ${result.wideParams.toLocaleString('en-US')} parameters.` : ''}

## Speedup counting every phase

What a user without a model pays: every FLOP, token and device-hour from step 0 of the smallest model to the target (a clone's small model's training, a staged run's small stages).
${small ? `The small model cost ${sci(small.flops)} FLOPs, ${small.tokens} tokens and ${sci(small.deviceHours)} device-hours (final val loss ${fmt(small.finalValLoss, 4)}, acc ${fmt(small.finalValAcc, 4)}).` : result.clones.some((c) => !c.everyPhase) ? 'The small model was given as a checkpoint without a run summary, so its cost is unknown and the clone arms cannot be counted this way.' : ''}

${mdTable(speedupRows(result, 'everyPhase'))}

## Speedup with the small model free

Only the cost at the final size: a clone's own run, a staged run after its last growth.

${mdTable(speedupRows(result, 'smallFree'))}

${budgetMarkdown(result)}${symmetryMarkdown(result, dir)}## Every arm and seed

${mdTable(seedRows(result))}

## Plots

${plots.map((p) => `### ${p.title}\n\n![${p.title}](plots/${p.file})`).join('\n\n')}

## Settings

\`\`\`json
${JSON.stringify(result.options, null, 2)}
\`\`\`
`;
}

const BUDGET_NOTE =
  "Under a constant learning rate a run with a shorter budget is the first steps of this one, so each row is the benchmark had every wide arm stopped at that step (a staged arm at its last growth + that step): target = the random arm's accuracy there. Tokens per parameter: the random arm's tokens over its parameters.";

function budgetMarkdown(result: BenchResult): string {
  const rows = budgetTableRows(result);
  return rows ? `## Speedup by budget\n\n${BUDGET_NOTE}\n\n${mdTable(rows)}\n\n` : '';
}

function htmlTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<table><thead><tr>${header!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function html(result: BenchResult, plots: Plot[]): string {
  const budgetRows = budgetTableRows(result);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hyperclone: clone vs random</title><style>${REPORT_CSS}</style></head>
<body><main>
<h1>Clone vs random: time to target</h1>
<p>Target: ${result.target.definition}. Speedup = random arm's cost to the target / the arm's cost, per seed; mean ± std over seeds; p = Welch's t-test.</p>
<h2>Speedup counting every phase</h2><p>What a user without a model pays: from step 0 of the smallest model (a clone's small model's training, a staged run's small stages) to the target.</p>${htmlTable(speedupRows(result, 'everyPhase'))}
<h2>Speedup with the small model free</h2><p>Only the cost at the final size: a clone's own run, a staged run after its last growth.</p>${htmlTable(speedupRows(result, 'smallFree'))}
${budgetRows ? `<h2>Speedup by budget</h2><p>${BUDGET_NOTE}</p>${htmlTable(budgetRows)}` : ''}
<h2>Plots</h2>${plots.map((p) => `<figure>${p.svg}<figcaption>${p.title}</figcaption></figure>`).join('\n')}
<h2>Every arm and seed</h2>${htmlTable(seedRows(result))}
<h2>Settings</h2><pre>${JSON.stringify(result.options, null, 2).replace(/</g, '&lt;')}</pre>
</main></body></html>
`;
}
