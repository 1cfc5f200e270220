// Benchmark plots as Vega-Lite specs rendered to SVG in Node (no browser, no canvas).
// Not the report layout (report.ts) and not the numbers (compare.ts).

import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { EvalEvent } from '@hyperclone/trainer';

/** One evaluation of one arm and seed, the unit every curve is drawn from. */
export interface CurvePoint {
  arm: string;
  seed: number;
  step: number;
  tokens: number;
  flops: number;
  deviceHours: number;
  /** Null on a point of metrics.jsonl (a training step, not an evaluation). */
  valLoss: number | null;
  valAcc: number | null;
  symmetry: number | null;
  /** The training loss of a logged step (metrics.jsonl); absent on evaluations. */
  trainLoss?: number | null;
}

/** One row of a run's eval.jsonl as the curve point of its arm and seed (the bench's report and the watch page both draw these). */
export function evalCurvePoint(arm: string, seed: number, e: EvalEvent): CurvePoint {
  return {
    arm,
    seed,
    step: e.step,
    tokens: e.tokens,
    flops: e.flops,
    deviceHours: e.deviceHours,
    valLoss: e.val.loss,
    valAcc: e.val.acc,
    symmetry: e.symmetry?.mean ?? null,
  };
}

export type XAxis = 'step' | 'tokens' | 'flops' | 'deviceHours';
export type YAxis = 'valLoss' | 'valAcc' | 'symmetry' | 'trainLoss';

const TITLES: Record<XAxis | YAxis, string> = {
  step: 'optimizer step',
  tokens: 'training tokens',
  flops: 'training FLOPs',
  deviceHours: 'device-hours',
  valLoss: 'validation loss (nats)',
  valAcc: 'validation next-token accuracy',
  symmetry: 'symmetry (mean cosine of cloned blocks)',
  trainLoss: 'training loss (nats)',
};

const AXIS_FORMATS: Record<XAxis, string> = { step: 'd', tokens: '.2~s', flops: '.2~s', deviceHours: '.2~e' };

export interface CurveOptions {
  title: string;
  x: XAxis;
  y: YAxis;
  /** A horizontal target line. */
  target?: number | null;
  width?: number;
  height?: number;
}

/** Lines per arm and seed (color = arm, dash = seed), with an optional dashed target rule. */
export function curveSpec(points: readonly CurvePoint[], o: CurveOptions): vl.TopLevelSpec {
  const data = points
    .filter((p) => typeof p[o.y] === 'number' && Number.isFinite(p[o.y]))
    .map((p) => ({ ...p, run: `${p.arm} #${p.seed}` }));
  const lines = {
    data: { values: data },
    mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.6 },
    encoding: {
      x: { field: o.x, type: 'quantitative', title: TITLES[o.x], axis: { format: AXIS_FORMATS[o.x] } },
      y: { field: o.y, type: 'quantitative', title: TITLES[o.y], scale: { zero: false } },
      color: { field: 'arm', type: 'nominal', title: 'arm', legend: { labelLimit: 280 } },
      detail: { field: 'run', type: 'nominal' },
      strokeDash: { field: 'seed', type: 'nominal', title: 'seed' },
    },
  };
  const layers: unknown[] = [lines];
  if (o.target !== undefined && o.target !== null) {
    layers.push({
      data: { values: [{ target: o.target }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#444' },
      encoding: { y: { field: 'target', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: o.width ?? 520,
    height: o.height ?? 300,
    layer: layers,
  } as vl.TopLevelSpec;
}

export interface BarDatum {
  label: string;
  mean: number;
  std: number;
}

/** Bars with ±1 std error bars (the variants ablation). */
export function barSpec(bars: readonly BarDatum[], title: string, yTitle: string): vl.TopLevelSpec {
  const values = bars.map((b) => ({ ...b, lo: b.mean - b.std, hi: b.mean + b.std }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 260,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: { field: 'label', type: 'nominal', title: null, sort: null },
          y: { field: 'mean', type: 'quantitative', title: yTitle },
        },
      },
      {
        mark: { type: 'errorbar', ticks: true },
        encoding: { x: { field: 'label', type: 'nominal', sort: null }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { field: 'one', type: 'quantitative' } },
      },
    ],
  } as vl.TopLevelSpec;
}

export interface BudgetDatum {
  arm: string;
  /** The random arm's budget, in training tokens. */
  tokens: number;
  mean: number;
  std: number;
}

/** Speedup (mean line, ±1 std band, log scale) against the random arm's budget, with rules at 1x and 2x. */
export function budgetSpec(points: readonly BudgetDatum[], title: string): vl.TopLevelSpec {
  // a log scale: speedups are ratios, and the ones just past the small model's accuracy are huge
  const values = points
    .filter((p) => Number.isFinite(p.mean) && p.mean > 0)
    .map((p) => ({ ...p, lo: Math.max(p.mean - p.std, p.mean / 10), hi: p.mean + p.std }));
  const x = { field: 'tokens', type: 'quantitative', title: "random arm's budget (training tokens)", axis: { format: '.2~s' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 280,
    layer: [
      {
        data: { values },
        mark: { type: 'errorband', opacity: 0.2 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: 'FLOPs speedup (random / clone), log scale', scale: { type: 'log' } },
          y2: { field: 'hi' },
          color: { field: 'arm', type: 'nominal', legend: { labelLimit: 280 } },
        },
      },
      {
        data: { values },
        mark: { type: 'line', point: { size: 18 } },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', scale: { type: 'log' } },
          color: { field: 'arm', type: 'nominal', title: 'arm', legend: { labelLimit: 280 } },
        },
      },
      {
        data: { values: [{ y: 1 }, { y: 2 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  } as vl.TopLevelSpec;
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
