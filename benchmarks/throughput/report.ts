// Formats throughput results: a table per preset with tokens/s, step time, MFU and the ratios between engines.
// Not measurement: train-loop.ts and pytorch-reference.ts produce the numbers.

import type { ModelConfig } from '@hyperclone/core';

/**
 * torch: the stripped step; train: `hyperclone train` (step replay on), train-eager (--step-replay off),
 * train-graph (--step-replay graph: a CUDA graph on cuda); pytorch: the reference, pytorch-compile: under torch.compile.
 */
export type Impl = 'torch' | 'train' | 'train-eager' | 'train-graph' | 'tfjs' | 'pytorch' | 'pytorch-compile';

export interface ImplResult {
  impl: Impl;
  engine: string;
  tokensPerSec: number;
  stepMs: number;
  finalLoss: number;
  steps: number;
  wallSec: number;
  /** train only: the trainer's own metrics.jsonl tokensPerSec (median over the timed rows). */
  trainerTokensPerSec?: number;
}

export interface PresetReport {
  preset: string;
  config: ModelConfig;
  batch: number;
  seq: number;
  flopsPerToken: number;
  /** The median round of each implementation that ran, in --impls order. */
  results: ImplResult[];
  rounds: Record<string, ImplResult[]>;
  /** Implementations that failed (and were left out after), with the error. */
  failures?: Partial<Record<Impl, string>>;
}

/** The round with the median tokens/s (the lower middle for an even count). */
export function median(runs: ImplResult[]): ImplResult {
  if (runs.length === 0) throw new Error('no runs to take a median of');
  const sorted = [...runs].sort((a, b) => a.tokensPerSec - b.tokensPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function mfu(tokensPerSec: number, flopsPerToken: number, peakTflops: number | null): number | null {
  return peakTflops ? (tokensPerSec * flopsPerToken) / (peakTflops * 1e12) : null;
}

export function formatPresetReport(r: PresetReport, peakTflops: number | null): string {
  const lines = [
    `\n${r.preset}: batch ${r.batch} x seq ${r.seq} = ${r.batch * r.seq} tokens/step, ${(r.flopsPerToken / 1e6).toFixed(1)} MFLOP/token`,
  ];
  lines.push(
    `  ${'impl'.padEnd(8)} ${'tokens/s'.padStart(10)} ${'ms/step'.padStart(9)} ${'TFLOP/s'.padStart(8)} ${'MFU'.padStart(6)}  engine`,
  );
  for (const x of r.results) {
    const tflops = (x.tokensPerSec * r.flopsPerToken) / 1e12;
    const u = mfu(x.tokensPerSec, r.flopsPerToken, peakTflops);
    lines.push(
      `  ${x.impl.padEnd(8)} ${x.tokensPerSec.toFixed(0).padStart(10)} ${x.stepMs.toFixed(1).padStart(9)} ${tflops.toFixed(3).padStart(8)} ` +
        `${(u === null ? '-' : `${(100 * u).toFixed(1)}%`).padStart(6)}  ${x.engine}`,
    );
  }
  const by = new Map(r.results.map((x) => [x.impl, x.tokensPerSec]));
  const ratio = (a: string, b: string) =>
    by.get(a as ImplResult['impl']) && by.get(b as ImplResult['impl'])
      ? `${a}/${b} ${(by.get(a as ImplResult['impl'])! / by.get(b as ImplResult['impl'])!).toFixed(2)}x`
      : null;
  const ratios = [
    ratio('torch', 'pytorch'),
    ratio('train', 'pytorch'),
    ratio('train', 'torch'),
    ratio('train', 'train-eager'),
    ratio('train-graph', 'pytorch'),
    ratio('train-graph', 'pytorch-compile'),
    ratio('torch', 'tfjs'),
    ratio('tfjs', 'pytorch'),
  ];
  const shown = ratios.filter((x) => x !== null);
  for (const [impl, error] of Object.entries(r.failures ?? {})) lines.push(`  ${impl} FAILED: ${error.split('\n').slice(-3).join(' | ')}`);
  if (shown.length > 0) lines.push(`  ratios of medians: ${shown.join(', ')}`);
  for (const [a, b] of PAIRS) {
    const paired = pairedRatios(r, a, b);
    if (paired.length > 1) {
      const sorted = [...paired].sort((x, y) => x - y);
      lines.push(
        `  ${a}/${b} per round: ${paired.map((x) => x.toFixed(2)).join(' ')} (median ${sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(2)})`,
      );
    }
  }
  for (const x of r.results) {
    const all = (r.rounds[x.impl] ?? []).map((y) => y.tokensPerSec);
    if (all.length > 1) lines.push(`  ${x.impl} rounds: ${all.map((v) => v.toFixed(0)).join(' / ')} (min-max ${spread(all)})`);
  }
  return lines.join('\n');
}

const PAIRS: readonly [Impl, Impl][] = [
  ['torch', 'pytorch'],
  ['train', 'pytorch'],
  ['train', 'torch'],
  ['train', 'train-eager'],
  ['train-graph', 'pytorch'],
  ['train-graph', 'pytorch-compile'],
];

/** a/b within each round (the two ran back to back under the same load). */
export function pairedRatios(r: PresetReport, a: ImplResult['impl'], b: ImplResult['impl']): number[] {
  const [xs, ys] = [r.rounds[a] ?? [], r.rounds[b] ?? []];
  return xs.slice(0, ys.length).map((x, i) => x.tokensPerSec / ys[i]!.tokensPerSec);
}

function spread(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return `${(100 * (hi / lo - 1)).toFixed(0)}%`;
}
