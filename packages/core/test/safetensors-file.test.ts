// Streaming safetensors files and the 16-bit float conversions: values against NumPy/PyTorch's rounding, bytes against
// encodeSafetensors, and the refusals (truncation, bad dtype). Not checkpoints (the trainer's and init's tests).
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SafetensorsFile,
  encodeSafetensors,
  floatBitsToBfloat,
  floatBitsToHalf,
  halfToFloatBits,
  hostTensor,
  writeSafetensorsFile,
} from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'safetensors-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('16-bit floats', () => {
  it('round float32 to float16 as NumPy does: ties to even, subnormals, overflow to inf', () => {
    // float32 bits -> float16 bits, from numpy's astype(float16) (1, 65504, 65519.99, 65520, 1e-8, 2.98e-8, 5.96e-8,
    // 6.1e-5, 1 + 2^-10, 1 + 2^-11 (tie, to even), 1 + 3·2^-11 (tie, to even), -3.14159, 1e5, 2^-25 (tie to 0), 1.5·2^-24)
    const f32 = [
      1065353216, 1199562752, 1199566845, 1199566848, 841731191, 855636709, 864025317, 947903040, 1065361408, 1065357312, 1065365504,
      3226013648, 1203982336, 855638016, 868220928,
    ];
    const f16 = [15360, 31743, 31743, 31744, 0, 0, 1, 1023, 15361, 15360, 15362, 49736, 31744, 0, 2];
    expect(f32.map(floatBitsToHalf)).toEqual(f16);
  });

  it('round float32 to bfloat16 as PyTorch does, and widen every float16 back exactly', () => {
    const f32 = [1065353216, 1065385984, 1065369600, 1065402368, 4282127424, 2139029349, 71362, 2147483648, 1078530011];
    const bf16 = [16256, 16256, 16256, 16257, 65340, 32639, 1, 32768, 16457];
    expect(f32.map(floatBitsToBfloat)).toEqual(bf16);
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >> 10) & 0x1f;
      if (exp === 31 && h & 0x3ff) continue; // NaN payloads
      expect(floatBitsToHalf(halfToFloatBits(h))).toBe(h);
    }
  });
});

describe('SafetensorsFile and writeSafetensorsFile', () => {
  const tensors = new Map([
    ['a', hostTensor([2, 3], new Float32Array([1, -2, 0.5, 1e-3, 3.25, -0]))],
    ['ids', hostTensor([2], new Int32Array([7, -1]))],
  ]);

  it('writes float32 files byte for byte like encodeSafetensors, and reads them back', () => {
    const path = join(root, 'a.safetensors');
    writeSafetensorsFile(path, tensors, { metadata: { format: 'pt' } });
    expect(readFileSync(path).equals(Buffer.from(encodeSafetensors(tensors, { format: 'pt' })))).toBe(true);
    const f = SafetensorsFile.open(path);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(f.read('a').data)).toEqual([1, -2, 0.5, Math.fround(1e-3), 3.25, -0]);
    expect(f.read('ids').data).toEqual(new Int32Array([7, -1]));
    f.close();
  });

  it('stores F16 and BF16 (ints stay I32) and widens them on read', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const path = join(root, `${dtype}.safetensors`);
      writeSafetensorsFile(path, tensors, { dtype });
      const f = SafetensorsFile.open(path);
      expect([f.entries.get('a')!.dtype, f.entries.get('ids')!.dtype]).toEqual([dtype, 'I32']);
      const a = f.read('a').data as Float32Array;
      expect(a[0]).toBe(1);
      expect(a[3]).toBeCloseTo(1e-3, dtype === 'F16' ? 6 : 5);
      f.close();
    }
  });

  it('refuses a truncated file, naming the tensor past its end, and an unknown dtype', () => {
    const path = join(root, 'cut.safetensors');
    writeSafetensorsFile(path, tensors);
    truncateSync(path, readFileSync(path).length - 4);
    expect(() => SafetensorsFile.open(path)).toThrow(/tensor "ids" ends at byte \d+ but the file has \d+ bytes \(truncated\?/);
    const header = JSON.stringify({ x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } });
    const bytes = Buffer.alloc(8 + header.length + 1);
    bytes.writeBigUInt64LE(BigInt(header.length));
    bytes.write(header, 8);
    writeFileSync(path, bytes);
    expect(() => SafetensorsFile.open(path)).toThrow(/entry "x" has unknown dtype F8/);
  });
});
