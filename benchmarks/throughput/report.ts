// Formats throughput results: a table per preset with tokens/s, step time, MFU and the ratios between engines.
// Not measurement: train-loop.ts and pytorch-reference.ts produce the numbers.

import type { ModelConfig } from '@hyperclone/core';

export interface ImplResult {
  impl: 'torch' | 'tfjs' | 'pytorch';
  engine: string;
  tokensPerSec: number;
  stepMs: number;
  finalLoss: number;
  steps: number;
  wallSec: number;
}

export interface PresetReport {
  preset: string;
  config: ModelConfig;
  batch: number;
  seq: number;
  flopsPerToken: number;
  /** The median round of each implementation, in --impls order. */
  results: ImplResult[];
  rounds: Record<string, ImplResult[]>;
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
  const ratios = [ratio('torch', 'pytorch'), ratio('torch', 'tfjs'), ratio('tfjs', 'pytorch')].filter((x) => x !== null);
  if (ratios.length > 0) lines.push(`  ratios: ${ratios.join(', ')}`);
  return lines.join('\n');
}
