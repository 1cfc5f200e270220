// A TensorBoard event-file reader written for the tests from the published layouts alone (TFRecord:
// uint64 length, masked CRC-32C, data, masked CRC-32C; event.proto, summary.proto, tensor.proto and the
// HParams plugin_data.proto by field number and wire type), sharing no code with the writer. Not a test file.

import { readFileSync } from 'node:fs';

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
export function crc32cOf(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TensorFlow's mask: rotate right by 15 bits and add 0xa282ead8. */
export function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

export interface RecordCheck {
  records: Uint8Array[];
  /** Every length CRC and every data CRC, as [stored, computed]. */
  crcs: [number, number][];
  /** Bytes left that do not make a whole record. */
  trailing: number;
}

/** Splits a file into records, recording both CRCs of each. */
export function readRecordFile(path: string): RecordCheck {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RecordCheck = { records: [], crcs: [], trailing: 0 };
  let at = 0;
  while (at + 12 <= bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    if (at + 12 + length + 4 > bytes.length) break;
    out.crcs.push([view.getUint32(at + 8, true), masked(crc32cOf(bytes.subarray(at, at + 8)))]);
    const data = bytes.subarray(at + 12, at + 12 + length);
    out.crcs.push([view.getUint32(at + 12 + length, true), masked(crc32cOf(data))]);
    out.records.push(data);
    at += 12 + length + 4;
  }
  out.trailing = bytes.length - at;
  return out;
}

type Field = { wire: 0; value: bigint } | { wire: 1; bytes: Uint8Array } | { wire: 2; bytes: Uint8Array } | { wire: 5; bytes: Uint8Array };

/** A message's fields by number, in order (protobuf wire format: varint keys, wire types 0, 1, 2, 5). */
export function fields(bytes: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [number, wire] = [key >>> 3, key & 7];
    let field: Field;
    if (wire === 0) field = { wire, value: varint() };
    else if (wire === 1) field = { wire, bytes: bytes.subarray(at, (at += 8)) };
    else if (wire === 5) field = { wire, bytes: bytes.subarray(at, (at += 4)) };
    else if (wire === 2) {
      const n = Number(varint());
      field = { wire, bytes: bytes.subarray(at, (at += n)) };
    } else throw new Error(`wire type ${wire} at byte ${at}`);
    const list = out.get(number) ?? [];
    list.push(field);
    out.set(number, list);
  }
  return out;
}

const one = (m: Map<number, Field[]>, n: number): Field | undefined => m.get(n)?.[0];
const bytesOf = (f: Field | undefined): Uint8Array | undefined => (f && f.wire !== 0 ? f.bytes : undefined);
const text = (f: Field | undefined): string | undefined => {
  const b = bytesOf(f);
  return b ? new TextDecoder().decode(b) : undefined;
};
const double = (f: Field | undefined): number | undefined => {
  const b = bytesOf(f);
  return b ? new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true) : undefined;
};
const float = (f: Field | undefined): number | undefined => {
  const b = bytesOf(f);
  return b ? new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true) : undefined;
};
const int = (f: Field | undefined): number | undefined => (f?.wire === 0 ? Number(f.value) : undefined);

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  pluginName?: string;
  pluginContent?: Uint8Array;
  dataClass?: number;
  tensorDtype?: number;
  tensorFloats?: number[];
  tensorStrings?: string[];
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  writer?: string;
  values?: DecodedValue[];
  sessionLog?: { status: number; checkpointPath: string; msg: string };
}

/** event.proto's Event: 1 wall_time double, 2 step int64, 3 file_version, 5 summary, 7 session_log, 10 source_metadata. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const m = fields(bytes);
  const event: DecodedEvent = { wallTime: double(one(m, 1)) ?? 0, step: int(one(m, 2)) ?? 0 };
  const version = text(one(m, 3));
  if (version !== undefined) event.fileVersion = version;
  const source = bytesOf(one(m, 10));
  if (source) event.writer = text(one(fields(source), 1)) ?? '';
  const summary = bytesOf(one(m, 5));
  if (summary) event.values = (fields(summary).get(1) ?? []).map((f) => decodeValue(bytesOf(f)!));
  const log = bytesOf(one(m, 7));
  if (log) {
    const l = fields(log);
    event.sessionLog = { status: int(one(l, 1)) ?? 0, checkpointPath: text(one(l, 2)) ?? '', msg: text(one(l, 3)) ?? '' };
  }
  return event;
}

/** Summary.Value: 1 tag, 2 simple_value float, 8 tensor, 9 metadata (1 plugin_data {1 name, 2 content}, 4 data_class). */
function decodeValue(bytes: Uint8Array): DecodedValue {
  const m = fields(bytes);
  const value: DecodedValue = { tag: text(one(m, 1)) ?? '' };
  const simple = float(one(m, 2));
  if (simple !== undefined) value.simpleValue = simple;
  const metadata = bytesOf(one(m, 9));
  if (metadata) {
    const md = fields(metadata);
    const plugin = bytesOf(one(md, 1));
    if (plugin) {
      const p = fields(plugin);
      value.pluginName = text(one(p, 1)) ?? '';
      value.pluginContent = bytesOf(one(p, 2)) ?? new Uint8Array();
    }
    const dataClass = int(one(md, 4));
    if (dataClass !== undefined) value.dataClass = dataClass;
  }
  const tensor = bytesOf(one(m, 8));
  if (tensor) {
    // TensorProto: 1 dtype, 5 float_val (packed), 8 string_val
    const t = fields(tensor);
    value.tensorDtype = int(one(t, 1)) ?? 0;
    const packed = bytesOf(one(t, 5));
    if (packed)
      value.tensorFloats = Array.from({ length: packed.length / 4 }, (_, i) => float({ wire: 5, bytes: packed.subarray(4 * i) })!);
    value.tensorStrings = (t.get(8) ?? []).map((f) => text(f)!);
  }
  return value;
}

export type ProtoValue = number | string | boolean | null;

export interface HParamsRecord {
  version: number;
  start?: { hparams: Record<string, ProtoValue>; modelUri: string; startTimeSecs: number };
  end?: { status: number; endTimeSecs: number };
}

/** plugin_data.proto's HParamsPluginData: 1 version, 3 session_start_info, 4 session_end_info. */
export function decodeHParams(bytes: Uint8Array): HParamsRecord {
  const m = fields(bytes);
  const record: HParamsRecord = { version: int(one(m, 1)) ?? 0 };
  const start = bytesOf(one(m, 3));
  if (start) {
    // SessionStartInfo: 1 map<string, google.protobuf.Value> (entries: 1 key, 2 value), 2 model_uri, 5 start_time_secs
    const s = fields(start);
    const hparams: Record<string, ProtoValue> = {};
    for (const entry of s.get(1) ?? []) {
      const e = fields(bytesOf(entry)!);
      const v = fields(bytesOf(one(e, 2)) ?? new Uint8Array());
      // google.protobuf.Value: 1 null, 2 number (double), 3 string, 4 bool
      hparams[text(one(e, 1))!] = v.has(2) ? double(one(v, 2))! : v.has(3) ? text(one(v, 3))! : v.has(4) ? int(one(v, 4)) === 1 : null;
    }
    record.start = { hparams, modelUri: text(one(s, 2)) ?? '', startTimeSecs: double(one(s, 5)) ?? 0 };
  }
  const end = bytesOf(one(m, 4));
  if (end) {
    const e = fields(end);
    record.end = { status: int(one(e, 1)) ?? 0, endTimeSecs: double(one(e, 2)) ?? 0 };
  }
  return record;
}
