import { describe, expect, it } from 'vitest';
import { enginePrecision, gpuPeak } from '../src/index.js';

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
