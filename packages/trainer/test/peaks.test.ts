// Peak FLOP/s: the GPU datasheet table, precision from the engine string, and MFU against a measured peak.
// Not accounting of a whole run (train-from.test.ts).

import { describe, expect, it } from 'vitest';
import { Accounting, enginePrecision, gpuPeak } from '../src/index.js';

describe('GPU peaks', () => {
  it('knows the common data-center GPUs by name and precision', () => {
    expect(gpuPeak('NVIDIA H100 80GB HBM3', 'bf16')).toBeCloseTo(989.4e12, -9);
    expect(gpuPeak('NVIDIA H100 PCIe', 'bf16')).toBe(756e12);
    expect(gpuPeak('NVIDIA H200', 'tf32')).toBeCloseTo(494.7e12, -9);
    expect(gpuPeak('NVIDIA A100-SXM4-40GB', 'fp32')).toBe(19.5e12);
    expect(gpuPeak('Tesla T4', 'fp32')).toBeCloseTo(8.1e12, -9);
  });

  it('returns null for an unknown device', () => {
    expect(gpuPeak('Imaginary GPU 9000', 'fp32')).toBeNull();
  });

  it('reads the precision from the engine string', () => {
    expect(enginePrecision('libtorch 2.1 (cuda, bf16 autocast)')).toBe('bf16');
    expect(enginePrecision('libtorch (cuda, tf32)')).toBe('tf32');
    expect(enginePrecision('tfjs-wasm')).toBe('fp32');
  });
});

describe('MFU against a measured peak', () => {
  // 1e6 FLOPs per token, one device, a measured peak of 1e9 FLOP/s
  it('raises a measured peak that training beat (a loaded machine measures low), saying so once per 5%', () => {
    const raised: [number, number][] = [];
    const a = new Accounting(1e6, 1, 1e9, { measured: true, onRaised: (from, to) => raised.push([from, to]) });
    expect(a.mfu(500)).toBeCloseTo(0.5, 12);
    expect(a.mfu(1200)).toBe(1); // 1.2e9 FLOP/s > 1e9: the peak is at least that
    expect(a.peakFlopsPerSec).toBe(1.2e9);
    expect(a.mfu(1210)).toBe(1); // raised again, but under 5% more: not said again
    expect(a.mfu(600)).toBeCloseTo(600 / 1210, 12);
    expect(raised).toEqual([[1e9, 1.2e9]]);
  });

  it('keeps a given or datasheet peak as it is, however high the MFU', () => {
    const a = new Accounting(1e6, 1, 1e9, {
      measured: false,
      onRaised: () => {
        throw new Error('not measured');
      },
    });
    expect(a.mfu(1500)).toBeCloseTo(1.5, 12);
    expect(a.peakFlopsPerSec).toBe(1e9);
  });
});
