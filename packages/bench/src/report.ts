// The benchmark report: report.md and report.html with the speedup tables and SVG plots.
// Not the numbers (analyze.ts): everything here is presentation of a BenchResult.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult, BudgetRow, CloneArmResult, CostKey, SpeedupStats } from './analyze.js';
import { readPath } from '@hyperclone/trainer';
import { COST_KEYS } from './analyze.js';
import { barSpec, budgetSpec, curveSpec, renderSvg, type CurvePoint, type CurveOptions } from './plots.js';
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

/** The by-budget table: about ten evenly spaced budgets, always the last. */
export function budgetTableRows(result: BenchResult): string[][] | null {
  const rows = result.byBudget;
  if (!rows?.length) return null;
  const arms = Object.keys(rows.at(-1)!.clones);
  const every = Math.max(1, Math.round(rows.length / 10));
  const picked = rows.filter((_, i) => (rows.length - 1 - i) % every === 0);
  const cell = (c: BudgetRow['clones'][string] | undefined, withSmall: boolean): string => {
    const s = withSmall ? c?.speedupWithSmall : c?.speedup;
    if (!c || !s) return '–';
    return `${speedupCell(s.flops)}${c.reached < c.seeds ? ` ${c.reached}/${c.seeds}` : ''}`;
  };
  const withVersus = arms.filter((a) => rows.some((r) => r.clones[a]?.versus));
  const reference = rows.flatMap((r) => Object.values(r.clones)).find((c) => c.versus)?.versus?.arm;
  const header = [
    "random arm's budget (steps)",
    'tokens',
    ...arms.flatMap((a) => [`${a}: FLOPs speedup`, 'counting the small model', ...(withVersus.includes(a) ? [`vs ${reference}`] : [])]),
  ];
  return [
    header,
    ...picked.map((r) => [
      String(r.step),
      Math.round(r.tokens).toLocaleString('en-US'),
      ...arms.flatMap((a) => [
        cell(r.clones[a], false),
        cell(r.clones[a], true),
        ...(withVersus.includes(a) ? [r.clones[a]?.versus ? speedupCell(r.clones[a]!.versus!.speedup.flops) : '–'] : []),
      ]),
    ]),
  ];
}

/** Every evaluation of every run, read from the runs' eval.jsonl under `dir` (the benchmark's directory). */
export function curvePoints(result: BenchResult, dir: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const [arm, outcomes] of Object.entries(result.arms)) {
    for (const o of outcomes) {
      for (const e of readEvals(readPath(dir, o.runDir))) {
        points.push({
          arm,
          seed: o.seed,
          step: e.step,
          tokens: e.tokens,
          flops: e.flops,
          deviceHours: e.deviceHours,
          valLoss: e.val.loss,
          valAcc: e.val.acc,
          symmetry: e.symmetry?.mean ?? null,
        });
      }
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
  const bars = result.clones
    .filter((c) => c.speedup.flops.mean !== null)
    .map((c) => ({ label: c.arm.replace('clone:', ''), mean: c.speedup.flops.mean!, std: c.speedup.flops.std ?? 0 }));
  if (bars.length) {
    const title = 'FLOPs speedup to target by clone variant (mean ± std over seeds; 1 = no gain)';
    plots.push({ file: 'variants-speedup.svg', title, svg: await renderSvg(barSpec(bars, title, 'speedup (random / clone)')) });
  }
  if (result.byBudget?.length) {
    const title = 'FLOPs speedup had every arm stopped earlier (band: ±1 std; ∞, a clone at the target from its start, is left out)';
    const data = result.byBudget.flatMap((row) =>
      Object.entries(row.clones)
        .filter(([, c]) => c.speedup.flops.mean !== null)
        .map(([arm, c]) => ({ arm, tokens: row.tokens, mean: c.speedup.flops.mean!, std: c.speedup.flops.std ?? 0 })),
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

/** Rows of [header..., cells...] tables shared by the markdown and the HTML. */
export function speedupRows(result: BenchResult, withSmall: boolean): string[][] {
  const reference = result.clones.find((c) => c.versus)?.versus?.arm;
  const header = [
    'arm',
    'reached',
    ...COST_KEYS.map((k) => `speedup in ${COST_TITLES[k]}`),
    ...(reference ? [`FLOPs speedup vs ${reference}`] : []),
  ];
  const rows = result.clones.map((c: CloneArmResult) => {
    const s = withSmall ? c.speedupWithSmall : c.speedup;
    const v = withSmall ? c.versus?.speedupWithSmall : c.versus?.speedup;
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
Speedup = cost of the random arm to the target / cost of the clone arm to the same target, per seed; mean ± sample std over seeds; p = Welch's t-test of the two arms' costs.

## Speedup (wide training only)

${mdTable(speedupRows(result, false))}

## Speedup counting the small model's training

${small ? `The small model cost ${sci(small.flops)} FLOPs, ${small.tokens} tokens and ${sci(small.deviceHours)} device-hours (final val loss ${fmt(small.finalValLoss, 4)}, acc ${fmt(small.finalValAcc, 4)}).\n\n${mdTable(speedupRows(result, true))}` : 'The small model was given as a checkpoint without a run summary, so its cost is unknown.'}

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
  "Under a constant learning rate a run with a shorter budget is the first steps of this one, so each row is the benchmark had every wide arm stopped at that step: target = the random arm's accuracy there.";

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
<p>Target: ${result.target.definition}. Speedup = random arm's cost to the target / clone arm's cost, per seed; mean ± std over seeds; p = Welch's t-test.</p>
<h2>Speedup (wide training only)</h2>${htmlTable(speedupRows(result, false))}
<h2>Speedup counting the small model's training</h2>${result.small ? htmlTable(speedupRows(result, true)) : '<p>Small model cost unknown (given as a checkpoint without a run summary).</p>'}
${budgetRows ? `<h2>Speedup by budget</h2><p>${BUDGET_NOTE}</p>${htmlTable(budgetRows)}` : ''}
<h2>Plots</h2>${plots.map((p) => `<figure>${p.svg}<figcaption>${p.title}</figcaption></figure>`).join('\n')}
<h2>Every arm and seed</h2>${htmlTable(seedRows(result))}
<h2>Settings</h2><pre>${JSON.stringify(result.options, null, 2).replace(/</g, '&lt;')}</pre>
</main></body></html>
`;
}
