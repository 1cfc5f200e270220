// Peak FLOP/s for MFU: a table of GPU peaks (dense, no sparsity) by device name and precision, and
// a measured matmul peak of the backend for CPUs and devices the table does not know.
// Not a profiler: MFU divides the model's formula FLOPs by these peaks.

import type { Backend } from '@hyperclone/core';
import { hostTensor, Rng } from '@hyperclone/core';

export type Precision = 'fp32' | 'tf32' | 'bf16';

interface GpuPeak {
  pattern: RegExp;
  /** TFLOP/s, dense */
  fp32: number;
  tf32: number;
  bf16: number;
}

/** Vendor datasheet peaks in TFLOP/s (dense). The first matching pattern wins, so specific names come first. */
const GPU_PEAKS: readonly GpuPeak[] = [
  { pattern: /H200/i, fp32: 67, tf32: 494.7, bf16: 989.4 },
  { pattern: /H100.*PCIe/i, fp32: 51.2, tf32: 378, bf16: 756 },
  { pattern: /H100.*NVL/i, fp32: 60, tf32: 417.5, bf16: 835 },
  { pattern: /H100|GH200/i, fp32: 67, tf32: 494.7, bf16: 989.4 },
  { pattern: /B200/i, fp32: 80, tf32: 1100, bf16: 2250 },
  { pattern: /A100/i, fp32: 19.5, tf32: 156, bf16: 312 },
  { pattern: /A10G/i, fp32: 31.2, tf32: 31.2, bf16: 70 },
  { pattern: /\bA10\b/i, fp32: 31.2, tf32: 62.5, bf16: 125 },
  { pattern: /L40S/i, fp32: 91.6, tf32: 183, bf16: 362 },
  { pattern: /\bL4\b/i, fp32: 30.3, tf32: 60, bf16: 121 },
  { pattern: /RTX 4090/i, fp32: 82.6, tf32: 82.6, bf16: 165.2 },
  { pattern: /RTX 3090/i, fp32: 35.6, tf32: 35.6, bf16: 71 },
  { pattern: /V100/i, fp32: 15.7, tf32: 15.7, bf16: 15.7 },
  { pattern: /\bT4\b/i, fp32: 8.1, tf32: 8.1, bf16: 8.1 },
];

export interface PeakFlops {
  /** FLOP/s of all devices in use together. */
  flopsPerSec: number;
  /** Where the number came from, for summary.json and the log. */
  source: string;
  /** Measured here (a lower bound of the true peak, low on a loaded machine) rather than given or from the table. */
  measured: boolean;
}

/** The table's peak for a GPU name at a precision (per device), or null when the name is unknown. */
export function gpuPeak(name: string, precision: Precision): number | null {
  const row = GPU_PEAKS.find((r) => r.pattern.test(name));
  return row ? row[precision] * 1e12 : null;
}

/** Precision from the backend's engine string ('... bf16 autocast', 'tf32'), fp32 otherwise. */
export function enginePrecision(engine: string): Precision {
  if (/bf16/i.test(engine)) return 'bf16';
  if (/tf32/i.test(engine)) return 'tf32';
  return 'fp32';
}

const measured = new WeakMap<Backend, number>();

/**
 * Best fp32 matmul FLOP/s of this backend: square matmuls of 512, then 1024 when 512 is fast,
 * repeated for ~0.3 s each. Measured once per backend instance.
 */
function measureMatmulPeak(b: Backend): number {
  const cached = measured.get(b);
  if (cached) return cached;
  let best = 0;
  for (const n of [512, 1024]) {
    const rng = new Rng(n, 'peak');
    const x = b.keep(b.fromHost(hostTensor([n, n], rng.fillNormal(new Float32Array(n * n), 1))));
    const timeOne = (): number => {
      const start = performance.now();
      const y = b.matmul(x, x); // (n, n)
      b.sync();
      b.toHost(b.slice(y, [0, 0], [1, 1]));
      b.dispose(y);
      return (performance.now() - start) / 1000;
    };
    timeOne(); // warm-up
    let spentSec = 0;
    let fastestSec = Infinity;
    for (let rep = 0; rep < 50 && spentSec < 0.3; rep++) {
      const sec = timeOne();
      spentSec += sec;
      fastestSec = Math.min(fastestSec, sec);
    }
    b.dispose(x);
    best = Math.max(best, (2 * n ** 3) / fastestSec);
    if (fastestSec > 0.05) break; // a slow engine: 1024³ would take over 0.4 s a try
  }
  measured.set(b, best);
  return best;
}

/** The peak to divide by: an explicit override, the GPU table, or the measured matmul peak. */
export function resolvePeak(b: Backend, precision: Precision, override: number | undefined, warn: (msg: string) => void): PeakFlops {
  if (override !== undefined) return { flopsPerSec: override, source: 'given peak (peakFlopsPerSec)', measured: false };
  const { kind, name, count } = b.device;
  if (kind === 'cuda' || kind === 'gpu') {
    const perDevice = gpuPeak(name, precision);
    if (perDevice !== null)
      return { flopsPerSec: perDevice * count, source: `datasheet ${precision} peak of ${name} × ${count}`, measured: false };
    warn(`unknown GPU "${name}": MFU is against a measured matmul peak; pass peakFlopsPerSec for the datasheet number`);
  }
  const flopsPerSec = measureMatmulPeak(b);
  return {
    flopsPerSec,
    source: `measured fp32 matmul peak of ${b.engine} on ${name}: ${(flopsPerSec / 1e9).toFixed(1)} GFLOP/s`,
    measured: true,
  };
}
