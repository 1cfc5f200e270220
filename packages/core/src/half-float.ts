// Conversions between float32 and the 16-bit floats safetensors files hold (IEEE float16, bfloat16).
// Not a tensor dtype of the backends: weights are float32 in memory; these run at file boundaries only.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits -> float32 bits (exact: every float16 is a float32). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    f32[0] = mant * 2 ** -24 * (sign ? -1 : 1); // subnormal
    return u32[0]!;
  }
  if (exp === 31) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN
  return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
}

/** float32 bits -> float16 bits, rounding to nearest even; overflow gives ±inf, NaN stays NaN. */
export function floatBitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // the float16 exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    const m = mant | 0x800000; // the implicit 1
    const shift = 14 - e; // 24-bit mantissa down to the subnormal's 10 bits
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >> shift;
    if (rest > half || (rest === half && out & 1)) out += 1;
    return sign | out;
  }
  let out = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out += 1; // may carry into the exponent: still right
  return sign | out;
}

/** float32 bits -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN. */
export function floatBitsToBfloat(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return Math.floor((bits + 0x7fff + ((bits >>> 16) & 1)) / 65536) & 0xffff; // bits is unsigned: no 32-bit wrap
}

/** 16-bit floats (F16 or BF16) widened into `out`. */
export function widenHalves(halves: Uint16Array, dtype: 'F16' | 'BF16', out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  if (dtype === 'BF16') for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  else for (let i = 0; i < halves.length; i++) bits[i] = halfToFloatBits(halves[i]!);
}

/** float32 values narrowed to 16-bit floats (F16 or BF16) into `out`. */
export function narrowFloats(values: Float32Array, dtype: 'F16' | 'BF16', out: Uint16Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  if (dtype === 'BF16') for (let i = 0; i < bits.length; i++) out[i] = floatBitsToBfloat(bits[i]!);
  else for (let i = 0; i < bits.length; i++) out[i] = floatBitsToHalf(bits[i]!);
}
