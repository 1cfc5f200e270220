// Plain-TypeScript tensor math on host tensors (float64 inside): the oracle the conformance checks compare against.
// Not fast and not for training: loops written for obviousness, on tensors of a few hundred values.

import { hostTensor, numel, type HostTensor } from '../host-tensor.js';
import type { Rng } from '../rng.js';

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    index[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return index;
}

export function randn(rng: Rng, shape: readonly number[], std = 1, mean = 0): HostTensor {
  return hostTensor(shape, rng.fillNormal(new Float32Array(numel(shape)), std, mean));
}

export function uniform(rng: Rng, shape: readonly number[], low: number, high: number): HostTensor {
  return hostTensor(
    shape,
    Float32Array.from({ length: numel(shape) }, () => low + (high - low) * rng.uniform()),
  );
}

export function mapHost(x: HostTensor, f: (v: number) => number): HostTensor {
  return hostTensor(x.shape, Float32Array.from(x.data, f));
}

/** NumPy broadcasting of two shapes; throws on a mismatch. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return Math.max(da, db);
  });
}

/** Flat offset into `shape` of an index in the broadcast result `outShape`. */
function broadcastOffset(index: readonly number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  const lead = index.length - shape.length;
  let offset = 0;
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) offset += index[lead + i]! * strides[i]!;
  return offset;
}

export function binaryHost(a: HostTensor, b: HostTensor, f: (x: number, y: number) => number): HostTensor {
  const shape = broadcastShape(a.shape, b.shape);
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) {
    const index = unravel(i, shape);
    out[i] = f(a.data[broadcastOffset(index, a.shape)]!, b.data[broadcastOffset(index, b.shape)]!);
  }
  return hostTensor(shape, out);
}

/** Reduces `axes` (non-negative) with `f` over the values of each output cell. */
export function reduceHost(x: HostTensor, axes: number[], keepDims: boolean, f: (values: number[]) => number): HostTensor {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: numel(keptShape) }, () => []);
  const keptStrides = stridesOf(keptShape);
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape);
    let cell = 0;
    for (let d = 0; d < index.length; d++) if (!axes.includes(d)) cell += index[d]! * keptStrides[d]!;
    groups[cell]!.push(x.data[i]!);
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const values = groups.map(f);
  return hostTensor(shape, x.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values));
}

export const sumOf = (v: number[]): number => v.reduce((s, x) => s + x, 0);
export const maxOf = (v: number[]): number => v.reduce((m, x) => Math.max(m, x), -Infinity);
export const argmaxOf = (v: number[]): number => v.indexOf(maxOf(v));

export function transposeHost(x: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const index = unravel(i, shape);
    let offset = 0;
    for (let d = 0; d < perm.length; d++) offset += index[d]! * inStrides[perm[d]!]!;
    out[i] = x.data[offset]!;
  }
  return hostTensor(shape, out);
}

export function sliceHost(x: HostTensor, begin: number[], size: number[]): HostTensor {
  const strides = stridesOf(x.shape);
  const out = new Float32Array(numel(size));
  for (let i = 0; i < out.length; i++) {
    const index = unravel(i, size);
    out[i] = x.data[index.reduce((o, v, d) => o + (v + begin[d]!) * strides[d]!, 0)]!;
  }
  return hostTensor(size, out);
}

export function concatHost(xs: HostTensor[], axis: number): HostTensor {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) {
    const index = unravel(i, shape);
    let k = 0;
    while (index[axis]! >= xs[k]!.shape[axis]!) index[axis]! -= xs[k++]!.shape[axis]!;
    const src = xs[k]!;
    out[i] = src.data[index.reduce((o, v, d) => o + v * stridesOf(src.shape)[d]!, 0)]!;
  }
  return hostTensor(shape, out);
}

/** [..., M, K] x [..., K, N] with equal leading dimensions, transposes applied to the last two axes. */
export function matmulHost(a: HostTensor, b: HostTensor, transposeA = false, transposeB = false): HostTensor {
  const rank = a.shape.length;
  const swap = (x: HostTensor, t: boolean): HostTensor =>
    t ? transposeHost(x, [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2]) : x;
  const A = swap(a, transposeA);
  const B = swap(b, transposeB);
  const [M, K] = A.shape.slice(-2) as [number, number];
  const N = B.shape.at(-1)!;
  const batch = numel(A.shape.slice(0, -2));
  const out = new Float32Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A.data[p * M * K + i * K + k]! * B.data[p * K * N + k * N + j]!;
        out[p * M * N + i * N + j] = s;
      }
    }
  }
  return hostTensor([...A.shape.slice(0, -2), M, N], out);
}
