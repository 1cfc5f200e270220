// A random orthogonal matrix from a seed (Haar-distributed) and the float64 products that apply it.
// Not the model transform (rotate-weights.ts): plain row-major matrices in, row-major matrices out.

import { Rng } from '@hyperclone/core';

const cache = new Map<string, Float64Array>();

/**
 * Q (n, n) row-major, orthogonal to float64 rounding: the Q of the QR decomposition of a Gaussian
 * matrix drawn from Rng(seed, 'rotation'), with the signs fixed so R's diagonal is positive, which
 * makes Q Haar-distributed (Mezzadri 2007). Gram-Schmidt over the columns, twice for accuracy.
 * The same (seed, n) always gives the same Q; results are cached.
 */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const key = `${n}:${seed}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const rng = new Rng(seed, 'rotation');
  const cols: Float64Array[] = Array.from({ length: n }, () => Float64Array.from({ length: n }, () => rng.normal())); // column j
  for (let j = 0; j < n; j++) {
    const v = cols[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const u = cols[k]!;
        const d = dot(u, v);
        for (let i = 0; i < n; i++) v[i]! -= d * u[i]!;
      }
    }
    const norm = Math.sqrt(dot(v, v)); // R[j, j] > 0: the sign convention that makes Q Haar
    for (let i = 0; i < n; i++) v[i]! /= norm;
  }
  const q = new Float64Array(n * n); // (n, n)
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) q[i * n + j] = cols[j]![i]!;
  if (cache.size > 8) cache.clear();
  cache.set(key, q);
  return q;
}

/** W Q: W (rows, n), Q (n, n) -> (rows, n). */
export function mulRight(w: Float64Array, rows: number, q: Float64Array, n: number): Float64Array {
  const out = new Float64Array(rows * n); // (rows, n)
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let k = 0; k < n; k++) {
      const a = w[o + k]!;
      if (a === 0) continue;
      const qk = k * n;
      for (let j = 0; j < n; j++) out[o + j]! += a * q[qk + j]!;
    }
  }
  return out;
}

/** W Qᵀ: W (rows, n), Q (n, n) -> (rows, n). */
export function mulRightTransposed(w: Float64Array, rows: number, q: Float64Array, n: number): Float64Array {
  const out = new Float64Array(rows * n); // (rows, n)
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const qj = j * n;
      for (let k = 0; k < n; k++) s += w[o + k]! * q[qj + k]!;
      out[o + j] = s;
    }
  }
  return out;
}

/** Qᵀ W: Q (n, n), W (n, cols) -> (n, cols). A vector is W with cols = 1. */
export function mulLeftTransposed(q: Float64Array, n: number, w: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(n * cols); // (n, cols)
  for (let k = 0; k < n; k++) {
    const wk = k * cols;
    for (let i = 0; i < n; i++) {
      const a = q[k * n + i]!; // Q[k, i] = Qᵀ[i, k]
      if (a === 0) continue;
      const o = i * cols;
      for (let j = 0; j < cols; j++) out[o + j]! += a * w[wk + j]!;
    }
  }
  return out;
}

/** Q W: Q (n, n), W (n, cols) -> (n, cols). */
export function mulLeft(q: Float64Array, n: number, w: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(n * cols); // (n, cols)
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    for (let k = 0; k < n; k++) {
      const a = q[i * n + k]!;
      if (a === 0) continue;
      const wk = k * cols;
      for (let j = 0; j < cols; j++) out[o + j]! += a * w[wk + j]!;
    }
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
