// Reader and writer for the safetensors format: 8-byte little-endian header length, JSON header,
// raw little-endian data. Not a checkpoint (checkpoint.ts adds config and atomic directories).

import { halfToFloatBits } from './half-float.js';
import type { StateDict } from './host-tensor.js';
import { hostTensor, numel } from './host-tensor.js';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<string, number> = { F32: 4, I32: 4, F16: 2, BF16: 2 };

/** One tensor's line in a header: its dtype, shape and data size, in file order. */
export interface HeaderTensor {
  name: string;
  dtype: string;
  shape: readonly number[];
  bytes: number;
}

/** The 8-byte length and the JSON header, padded with spaces so the data starts 8-byte aligned. */
export function safetensorsHeader(tensors: readonly HeaderTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes] };
    offset += t.bytes;
  }
  const json = JSON.stringify(header);
  const length = new TextEncoder().encode(json).length;
  const text = new TextEncoder().encode(json + ' '.repeat((8 - ((8 + length) % 8)) % 8)); // data starts 8-byte aligned
  const out = new Uint8Array(8 + text.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}

/** Serializes a state dict (float32 and int32 tensors) to safetensors bytes, in the dict's order. */
export function encodeSafetensors(sd: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...sd].map(([name, t]) => ({
    name,
    dtype: t.dtype === 'int32' ? 'I32' : 'F32',
    shape: t.shape,
    bytes: t.data.byteLength,
  }));
  const head = safetensorsHeader(entries, metadata);
  const out = new Uint8Array(head.length + entries.reduce((n, e) => n + e.bytes, 0));
  out.set(head, 0);
  let at = head.length;
  for (const t of sd.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes. F16 and BF16 are widened to float32. Throws with the reason on a
 * truncated file, a bad header, offsets that overlap or leave gaps, or sizes that disagree.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors data',
): { tensors: StateDict; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new Error(`${source} is not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8)
    fail(`header claims ${headerLen} bytes but the file has ${bytes.length - 8} after the length (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata = (header['__metadata__'] ?? {}) as Record<string, string>;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, HeaderEntry][];
  const spans: [number, number, string][] = [];
  const tensors: StateDict = new Map();
  for (const [name, e] of entries) {
    if (!e || typeof e !== 'object' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets))
      fail(`entry "${name}" lacks dtype/shape/data_offsets`);
    const width = BYTES[e.dtype];
    if (!width) fail(`entry "${name}" has unsupported dtype ${e.dtype} (supported: ${Object.keys(BYTES).join(', ')})`);
    const [begin, end] = e.data_offsets;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin)
      fail(`entry "${name}" has bad data_offsets [${begin}, ${end}]`);
    if (end > dataLen) fail(`entry "${name}" ends at byte ${end} but only ${dataLen} data bytes exist (truncated?)`);
    const count = numel(e.shape);
    if (end - begin !== count * width!)
      fail(`entry "${name}" has ${end - begin} bytes for shape [${e.shape.join(', ')}] of ${e.dtype} (${count * width!} expected)`);
    spans.push([begin, end, name]);
    const raw = bytes.slice(dataStart + begin, dataStart + end); // copy: aligned and detached from the file buffer
    tensors.set(name, hostTensor(e.shape, toTyped(raw, e.dtype, count)));
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor) fail(`data of "${name}" starts at ${begin}, expected ${cursor} (overlap or gap)`);
    cursor = end;
  }
  if (cursor !== dataLen) fail(`${dataLen - cursor} bytes of data follow the last tensor`);
  return { tensors, metadata };
}

function toTyped(raw: Uint8Array, dtype: string, count: number): Float32Array | Int32Array {
  if (dtype === 'F32') return new Float32Array(raw.buffer, raw.byteOffset, count);
  if (dtype === 'I32') return new Int32Array(raw.buffer, raw.byteOffset, count);
  const halves = new Uint16Array(raw.buffer, raw.byteOffset, count);
  const out = new Float32Array(count);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) u32[i] = dtype === 'BF16' ? halves[i]! << 16 : halfToFloatBits(halves[i]!);
  return out;
}
