// The watched folders drawn: one section per benchmark (its arms overlaid, with the target line) and
// one for the training runs together, each with a status line per run and the report's Vega-Lite
// curves rendered to SVG. Not the reading of the files (watched-folder.ts) or the page around it (watch-page.ts).

import { curveSpec, evalCurvePoint, renderSvg, type CurveOptions, type CurvePoint } from '@hyperclone/bench';
import { readBench, readRun, type RunState, type WatchedFolder } from './watched-folder.js';

export interface Section {
  id: string;
  title: string;
  html: string;
}

const RUN_CURVES: CurveOptions[] = [
  { title: 'Training loss vs step', x: 'step', y: 'trainLoss' },
  { title: 'Validation loss vs tokens', x: 'tokens', y: 'valLoss' },
  { title: 'Validation accuracy vs training FLOPs', x: 'flops', y: 'valAcc' },
];

/** Every folder's section, the training runs first (together), then each benchmark. */
export async function renderSections(folders: readonly WatchedFolder[]): Promise<Section[]> {
  const sections: Section[] = [];
  const runs = folders.filter((f) => f.kind === 'run');
  if (runs.length) {
    const states = runs.map((f) => readRun(f.dir, f.label));
    sections.push({
      id: 'runs',
      title: runs.length > 1 ? 'Training runs' : `Training run ${runs[0]!.label}`,
      html: await section(states, RUN_CURVES),
    });
  }
  for (const folder of folders.filter((f) => f.kind === 'bench')) {
    const bench = readBench(folder.dir);
    const target = bench.target;
    const targetText = target
      ? `target: ${target.metric === 'valAcc' ? 'validation accuracy' : 'validation loss'} ${target.value.toFixed(4)}`
      : 'target: set once a random run finishes';
    const curves: CurveOptions[] = [
      {
        title: 'Validation accuracy vs training FLOPs (dashed: target)',
        x: 'flops',
        y: 'valAcc',
        target: target?.metric === 'valAcc' ? target.value : null,
      },
      { title: 'Validation loss vs tokens', x: 'tokens', y: 'valLoss', target: target?.metric === 'valLoss' ? target.value : null },
      { title: 'Training loss vs step', x: 'step', y: 'trainLoss' },
    ];
    const note = `<p class="note">${bench.finished ? 'finished' : 'in progress'}; ${escapeHtml(targetText)}</p>`;
    sections.push({ id: `bench-${folder.label}`, title: `Benchmark ${folder.label}`, html: note + (await section(bench.runs, curves)) });
  }
  return sections;
}

async function section(runs: RunState[], curves: CurveOptions[]): Promise<string> {
  const points = runs.flatMap(curvePointsOf);
  const status = `<ul class="runs">${runs.map(statusLine).join('')}</ul>`;
  const figures = await Promise.all(
    curves.map(async (c) =>
      points.some((p) => typeof p[c.y] === 'number')
        ? `<figure>${await renderSvg(curveSpec(points, { ...c, width: 380, height: 240 }))}</figure>`
        : `<figure class="empty"><figcaption>${escapeHtml(c.title)}: no points yet</figcaption></figure>`,
    ),
  );
  return `${status}<div class="plots">${figures.join('')}</div>`;
}

/** One line per run: where it is, its last loss and evaluation, and whether it trains now. */
function statusLine(r: RunState): string {
  const last = r.steps.at(-1);
  const evaluation = r.evals.at(-1);
  const state = r.summary ? `stopped: ${r.summary.stopReason}` : r.live ? 'training' : 'not running';
  const parts = [
    `step <span class="step">${last?.step ?? 0}</span>${r.totalSteps !== null ? ` of ${r.totalSteps}` : ''}`,
    last ? `loss ${last.loss.toFixed(4)}` : null,
    evaluation ? `val acc ${evaluation.val.acc.toFixed(4)} at step ${evaluation.step}` : null,
    state,
  ].filter((p) => p !== null);
  return `<li data-run="${escapeHtml(r.label)}"><b>${escapeHtml(r.label)}</b> ${parts.join(' · ')}</li>`;
}

/** Training-loss points drawn per run at most (every k-th logged step, and the last): a long run stays quick to draw. */
const MAX_STEP_POINTS = 1000;

/** Every k-th row so that at most `max` remain, always with the last. */
export function thinned<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max) return [...rows];
  const every = Math.ceil(rows.length / max);
  return rows.filter((_, i) => i % every === 0 || i === rows.length - 1);
}

/** metrics.jsonl rows (training loss) and eval.jsonl rows (validation) as the report's curve points. */
function curvePointsOf(r: RunState): CurvePoint[] {
  const base = { arm: r.arm, seed: r.seed };
  return [
    ...thinned(r.steps, MAX_STEP_POINTS).map((s) => ({
      ...base,
      step: s.step,
      tokens: s.tokens,
      flops: NaN,
      deviceHours: s.deviceHours,
      valLoss: null,
      valAcc: null,
      symmetry: null,
      trainLoss: s.loss,
    })),
    ...r.evals.map((e) => evalCurvePoint(r.arm, r.seed, e)),
  ];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
