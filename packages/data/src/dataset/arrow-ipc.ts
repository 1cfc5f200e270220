// Encodes by hand the few Arrow IPC flatbuffers a token file needs (Schema, RecordBatch message,
// Footer) for one integer column. Not a general Arrow library, and not the reader (arrow-ipc-decode.ts).

import { Builder } from 'flatbuffers';
import { dtypeBytes, type TokenDtype } from './token-dtype.js';

export const ARROW_MAGIC = 'ARROW1';
const METADATA_V5 = 4;
/** Arrow's Type union tag of Int. */
export const TYPE_INT = 2;
const HEADER_SCHEMA = 1;
/** Arrow's MessageHeader union tag of RecordBatch. */
export const HEADER_RECORD_BATCH = 3;
export const CONTINUATION = 0xffffffff;

export interface ArrowBlock {
  /** File offset of the encapsulated message (its continuation marker). */
  offset: number;
  /** Bytes of continuation + length prefix + flatbuffer + padding. */
  metaDataLength: number;
  bodyLength: number;
}

export interface ArrowColumn {
  name: string;
  dtype: TokenDtype;
}

function addSchema(b: Builder, column: ArrowColumn): number {
  const signed = column.dtype === 'int32';
  b.startObject(2); // Int
  b.addFieldInt32(0, dtypeBytes(column.dtype) * 8, 0);
  b.addFieldInt8(1, signed ? 1 : 0, 0);
  const intType = b.endObject();
  const name = b.createString(column.name);
  b.startVector(4, 0, 4);
  const children = b.endVector();
  b.startObject(7); // Field
  b.addFieldOffset(0, name, 0);
  b.addFieldInt8(2, TYPE_INT, 0);
  b.addFieldOffset(3, intType, 0);
  b.addFieldOffset(5, children, 0);
  const field = b.endObject();
  b.startVector(4, 1, 4);
  b.addOffset(field);
  const fields = b.endVector();
  b.startObject(4); // Schema
  b.addFieldInt16(0, 0, -1); // little-endian (written explicitly)
  b.addFieldOffset(1, fields, 0);
  return b.endObject();
}

function finishMessage(b: Builder, headerType: number, header: number, bodyLength: number): Uint8Array {
  b.startObject(5); // Message
  b.addFieldInt16(0, METADATA_V5, 0);
  b.addFieldInt8(1, headerType, 0);
  b.addFieldOffset(2, header, 0);
  b.addFieldInt64(3, BigInt(bodyLength), 0n);
  b.finish(b.endObject());
  return b.asUint8Array();
}

/** Continuation marker + length + flatbuffer, padded to 8 bytes (the encapsulated message format). */
function encapsulate(flatbuffer: Uint8Array): Uint8Array {
  const padded = Math.ceil(flatbuffer.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  out.set(flatbuffer, 8);
  return out;
}

export function encodeSchemaMessage(column: ArrowColumn): Uint8Array {
  const b = new Builder(256);
  return encapsulate(finishMessage(b, HEADER_SCHEMA, addSchema(b, column), 0));
}

/** The metadata of a record batch of `length` tokens whose data buffer is `dataBytes` long. */
export function encodeRecordBatchMessage(length: number, dataBytes: number, bodyLength: number): Uint8Array {
  const b = new Builder(256);
  b.startVector(16, 2, 8); // Buffer structs, written last to first
  b.prep(8, 16);
  b.writeInt64(BigInt(dataBytes)); // data: length
  b.writeInt64(0n); // data: offset
  b.prep(8, 16);
  b.writeInt64(0n); // validity: length (no nulls)
  b.writeInt64(0n); // validity: offset
  const buffers = b.endVector();
  b.startVector(16, 1, 8); // FieldNode structs
  b.prep(8, 16);
  b.writeInt64(0n); // null_count
  b.writeInt64(BigInt(length));
  const nodes = b.endVector();
  b.startObject(5); // RecordBatch
  b.addFieldInt64(0, BigInt(length), 0n);
  b.addFieldOffset(1, nodes, 0);
  b.addFieldOffset(2, buffers, 0);
  const header = b.endObject();
  return encapsulate(finishMessage(b, HEADER_RECORD_BATCH, header, bodyLength));
}

export function encodeFooter(column: ArrowColumn, blocks: ArrowBlock[]): Uint8Array {
  const b = new Builder(1024 + blocks.length * 24);
  const schema = addSchema(b, column);
  b.startVector(24, blocks.length, 8);
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i]!;
    b.prep(8, 24);
    b.writeInt64(BigInt(block.bodyLength));
    b.pad(4);
    b.writeInt32(block.metaDataLength);
    b.writeInt64(BigInt(block.offset));
  }
  const batches = b.endVector();
  b.startVector(24, 0, 8);
  const dictionaries = b.endVector();
  b.startObject(5); // Footer
  b.addFieldInt16(0, METADATA_V5, 0);
  b.addFieldOffset(1, schema, 0);
  b.addFieldOffset(2, dictionaries, 0);
  b.addFieldOffset(3, batches, 0);
  b.finish(b.endObject());
  return b.asUint8Array();
}
