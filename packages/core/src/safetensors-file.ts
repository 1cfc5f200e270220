// Safetensors files read and written one tensor at a time: the header first, then each tensor straight
// into (or out of) its own array, so memory stays near the weights' size. Not the in-memory codec (safetensors.ts).

import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { narrowFloats, widenHalves } from './half-float.js';
import type { DType, HostTensor, StateDict } from './host-tensor.js';
import { hostTensor, numel } from './host-tensor.js';
import { safetensorsHeader } from './safetensors.js';

/** Bytes per element of every dtype a header may name; only F32, F16, BF16, F64 and I32 can be read. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

/** 100 MB: no real header comes near it, and a garbage length would make us read the whole file. */
const MAX_HEADER_BYTES = 100_000_000;
/** Read and write in pieces of at most this many bytes (readSync/writeSync take under 2 GiB). */
const CHUNK_BYTES = 1 << 28;

/** An open safetensors file: its header checked against the file's size, tensors read on demand. */
export class SafetensorsFile {
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    entries: Map<string, SafetensorsEntry>,
    metadata: Record<string, string>,
  ) {
    this.fd = fd;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Opens and checks the header: JSON, dtypes, sizes, contiguous data, and that the file is not truncated. */
  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const { entries, metadata } = readHeader(fd, path);
      return new SafetensorsFile(path, fd, entries, metadata);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** One tensor as float32 (F32, F16, BF16, F64 widened or narrowed) or int32 (I32). */
  read(name: string): HostTensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path} has no tensor "${name}"`);
    const count = numel(e.shape);
    if (e.dtype === 'F32' || e.dtype === 'I32') {
      const out = e.dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
      this.readInto(new Uint8Array(out.buffer), e.begin);
      return hostTensor(e.shape, out);
    }
    if (e.dtype === 'F16' || e.dtype === 'BF16') {
      const halves = new Uint16Array(count);
      this.readInto(new Uint8Array(halves.buffer), e.begin);
      const out = new Float32Array(count);
      widenHalves(halves, e.dtype, out);
      return hostTensor(e.shape, out);
    }
    if (e.dtype === 'F64') {
      const doubles = new Float64Array(count);
      this.readInto(new Uint8Array(doubles.buffer), e.begin);
      return hostTensor(e.shape, Float32Array.from(doubles));
    }
    throw new Error(`${this.path}: tensor "${name}" is ${e.dtype}; only F32, F16, BF16, F64 and I32 tensors can be read`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readInto(bytes: Uint8Array, position: number): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    for (let done = 0; done < bytes.length;) {
      const n = readSync(this.fd, bytes, done, Math.min(CHUNK_BYTES, bytes.length - done), position + done);
      if (n === 0) throw new Error(`${this.path} ended early (truncated while being read?)`);
      done += n;
    }
  }
}

function readHeader(fd: number, path: string): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new Error(`${path} is not a valid safetensors file: ${why}`);
  };
  const fileBytes = fstatSync(fd).size;
  if (fileBytes < 8) fail(`only ${fileBytes} bytes, shorter than the 8-byte header length (truncated?)`);
  const lengthBytes = Buffer.alloc(8);
  readSync(fd, lengthBytes, 0, 8, 0);
  const headerBytes = Number(lengthBytes.readBigUInt64LE(0));
  if (headerBytes > MAX_HEADER_BYTES) fail(`header length ${headerBytes} is implausible (not a safetensors file?)`);
  if (8 + headerBytes > fileBytes)
    fail(`header claims ${headerBytes} bytes but the file has ${fileBytes - 8} after the length (truncated?)`);
  const text = Buffer.alloc(headerBytes);
  readSync(fd, text, 0, headerBytes, 8);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerBytes;
  const entries = new Map<string, SafetensorsEntry>();
  const spans: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || typeof e.dtype !== 'string')
      fail(`entry "${name}" lacks dtype/shape/data_offsets`);
    const width = DTYPE_BYTES[e.dtype as string];
    if (!width) fail(`entry "${name}" has unknown dtype ${String(e.dtype)}`);
    const [begin, end] = e.data_offsets as number[];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin! < 0 || end! < begin!)
      fail(`entry "${name}" has bad data_offsets [${String(begin)}, ${String(end)}]`);
    const shape = e.shape as number[];
    if (end! - begin! !== numel(shape) * width!)
      fail(
        `entry "${name}" has ${end! - begin!} bytes for shape [${shape.join(', ')}] of ${String(e.dtype)} (${numel(shape) * width!} expected)`,
      );
    if (dataStart + end! > fileBytes)
      fail(`tensor "${name}" ends at byte ${dataStart + end!} but the file has ${fileBytes} bytes (truncated? copy or download it again)`);
    entries.set(name, { dtype: e.dtype as string, shape, begin: dataStart + begin!, end: dataStart + end! });
    spans.push([begin!, end!, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor) fail(`data of "${name}" starts at ${begin}, expected ${cursor} (overlap or gap)`);
    cursor = end;
  }
  if (dataStart + cursor !== fileBytes) fail(`${fileBytes - dataStart - cursor} bytes follow the last tensor`);
  const metadata = ((header as Record<string, unknown>)['__metadata__'] ?? {}) as Record<string, string>;
  return { entries, metadata };
}

export type WriteDtype = 'F32' | 'F16' | 'BF16';

/** A tensor the writer asks for only when it reaches it (export builds each Hugging Face tensor then). */
export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  dtype: DType;
  data(): Float32Array | Int32Array;
}

export interface WriteSafetensorsOptions {
  /** What float32 tensors are stored as (int32 ones stay I32); default F32. */
  dtype?: WriteDtype;
  metadata?: Record<string, string>;
}

/**
 * Writes tensors in the given order, each straight from its array (F32) or narrowed a piece at a time
 * (F16, BF16, rounding to nearest even). The header is the one encodeSafetensors writes, so an F32
 * file is byte for byte the same. Not atomic: callers write into a temporary directory.
 */
export function writeSafetensorsFile(
  path: string,
  tensors: StateDict | readonly TensorToWrite[],
  options: WriteSafetensorsOptions = {},
): void {
  const dtype = options.dtype ?? 'F32';
  const list: readonly TensorToWrite[] = Array.isArray(tensors)
    ? tensors
    : [...(tensors as StateDict)].map(([name, t]: [string, HostTensor]) => ({ name, shape: t.shape, dtype: t.dtype, data: () => t.data }));
  const fileDtype = (t: TensorToWrite): string => (t.dtype === 'int32' ? 'I32' : dtype);
  const header = safetensorsHeader(
    list.map((t) => ({ name: t.name, dtype: fileDtype(t), shape: t.shape, bytes: numel(t.shape) * DTYPE_BYTES[fileDtype(t)]! })),
    options.metadata ?? {},
  );
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, header);
    for (const t of list) {
      const data = t.data();
      if (data.length !== numel(t.shape)) throw new Error(`tensor "${t.name}" has ${data.length} values for shape [${t.shape.join(', ')}]`);
      if (t.dtype === 'int32' || dtype === 'F32') writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else writeNarrowed(fd, data as Float32Array, dtype);
    }
  } finally {
    closeSync(fd);
  }
}

function writeNarrowed(fd: number, values: Float32Array, dtype: 'F16' | 'BF16'): void {
  const piece = 1 << 20; // elements per piece: 2 MB of halves at a time
  const halves = new Uint16Array(Math.min(piece, values.length));
  for (let at = 0; at < values.length; at += piece) {
    const part = values.subarray(at, Math.min(at + piece, values.length));
    const out = halves.subarray(0, part.length);
    narrowFloats(part, dtype, out);
    writeAll(fd, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(CHUNK_BYTES, bytes.length - done));
}
