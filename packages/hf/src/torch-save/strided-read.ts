// One tensor out of its storage's bytes: only the span its view covers is read, converted (F64/F16/BF16 to float32,
// integers and bools to int32) and gathered by its strides into a contiguous HostTensor. Not the pickle or the file layout.

import { hostTensor, widenHalves, type HostTensor } from '@hyperclone/core';
import type { TensorRef } from './torch-pickle-rules.js';

/** Reads `into.length` bytes at `position` of the file, or throws. */
export type ReadAt = (position: number, into: Uint8Array) => void;

/** The elements [first, last] of the storage the view reads; null for an empty tensor. */
export function spanOf(ref: TensorRef): { first: number; count: number } | null {
  if (ref.shape.some((d) => d === 0)) return null;
  const last = ref.offset + ref.shape.reduce((sum, d, i) => sum + (d - 1) * ref.stride[i]!, 0);
  return { first: ref.offset, count: last - ref.offset + 1 };
}

/** `ref` as a contiguous tensor; its storage's data starts at byte `storageStart` of the file. */
export function readStrided(readAt: ReadAt, storageStart: number, ref: TensorRef, name: string): HostTensor {
  const numel = ref.shape.reduce((a, b) => a * b, 1);
  const floating = ['F64', 'F32', 'F16', 'BF16'].includes(ref.storage.dtype);
  const span = spanOf(ref);
  if (span === null) return hostTensor(ref.shape, floating ? new Float32Array(0) : new Int32Array(0));
  const bytes = new Uint8Array(span.count * ref.storage.elementBytes);
  readAt(storageStart + span.first * ref.storage.elementBytes, bytes);
  const values = decode(bytes, ref.storage.dtype, name);
  return hostTensor(ref.shape, isRowMajor(ref) ? values : gather(values, ref, numel));
}

function decode(bytes: Uint8Array, dtype: TensorRef['storage']['dtype'], name: string): Float32Array | Int32Array {
  const { buffer } = bytes;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(bytes.length / 2);
      widenHalves(new Uint16Array(buffer), dtype, out);
      return out;
    }
    case 'F64':
      return Float32Array.from(new Float64Array(buffer));
    case 'I64': {
      const wide = new BigInt64Array(buffer);
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v < -2147483648n || v > 2147483647n) throw new Error(`tensor "${name}" holds ${v}, outside int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32':
      return new Int32Array(buffer);
    case 'I16':
      return Int32Array.from(new Int16Array(buffer));
    case 'I8':
      return Int32Array.from(new Int8Array(buffer));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(bytes);
  }
}

function isRowMajor(ref: TensorRef): boolean {
  let expected = 1;
  for (let i = ref.shape.length - 1; i >= 0; i--) {
    if (ref.shape[i] !== 1 && ref.stride[i] !== expected) return false;
    expected *= ref.shape[i]!;
  }
  return true;
}

/** Row-major copy of a strided view; `values` starts at the view's first element. */
function gather<T extends Float32Array | Int32Array>(values: T, ref: TensorRef, numel: number): T {
  const out = (values instanceof Float32Array ? new Float32Array(numel) : new Int32Array(numel)) as T;
  const rank = ref.shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = values[at]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      at += ref.stride[d]!;
      if (index[d]! < ref.shape[d]!) break;
      at -= ref.stride[d]! * ref.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
