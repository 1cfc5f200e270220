// Decodes the Arrow IPC footer and record-batch metadata of a one-integer-column token file.
// Not a general Arrow reader: other schemas are rejected with a hint, compressed bodies too.

import { ByteBuffer } from 'flatbuffers';
import { HEADER_RECORD_BATCH, TYPE_INT, type ArrowBlock, type ArrowColumn } from './arrow-ipc.js';
import type { TokenDtype } from './token-dtype.js';

/** Absolute position of field `index` of the table at `table`, or 0 when absent. */
function field(bb: ByteBuffer, table: number, index: number): number {
  const rel = bb.__offset(table, 4 + 2 * index);
  return rel === 0 ? 0 : table + rel;
}

function rootTable(bb: ByteBuffer): number {
  return bb.readInt32(bb.position()) + bb.position();
}

function int64(bb: ByteBuffer, pos: number): number {
  const v = bb.readInt64(pos);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw new Error(`arrow: 64-bit value ${v} is out of range`);
  return Number(v);
}

function decodeColumn(bb: ByteBuffer, schema: number, where: string): ArrowColumn {
  const fieldsPos = field(bb, schema, 1);
  const nFields = fieldsPos ? bb.__vector_len(fieldsPos) : 0;
  if (nFields !== 1)
    throw new Error(`${where}: expected one column of token ids, found ${nFields} columns; was it written by hyperclone prepare?`);
  const f = bb.__indirect(bb.__vector(fieldsPos));
  const namePos = field(bb, f, 0);
  const name = namePos ? (bb.__string(namePos) as string) : '';
  const typeTypePos = field(bb, f, 2);
  const typeType = typeTypePos ? bb.readUint8(typeTypePos) : 0;
  if (typeType !== TYPE_INT)
    throw new Error(`${where}: column "${name}" is not an integer column (arrow type ${typeType}); token files hold integer ids`);
  const typePos = field(bb, f, 3);
  const intTable = bb.__indirect(typePos);
  const widthPos = field(bb, intTable, 0);
  const signedPos = field(bb, intTable, 1);
  const bitWidth = widthPos ? bb.readInt32(widthPos) : 0;
  const signed = signedPos ? bb.readInt8(signedPos) !== 0 : false;
  const dtype: TokenDtype | undefined =
    bitWidth === 16 && !signed ? 'uint16' : bitWidth === 32 && !signed ? 'uint32' : bitWidth === 32 && signed ? 'int32' : undefined;
  if (!dtype)
    throw new Error(`${where}: column "${name}" is ${signed ? 'int' : 'uint'}${bitWidth}; token files use uint16, uint32 or int32`);
  return { name, dtype };
}

export interface ArrowFooter {
  column: ArrowColumn;
  blocks: ArrowBlock[];
}

/** Decodes the footer flatbuffer (the bytes between the last message and the footer length). */
export function decodeFooter(bytes: Uint8Array, where: string): ArrowFooter {
  const bb = new ByteBuffer(bytes);
  const footer = rootTable(bb);
  const schemaPos = field(bb, footer, 1);
  if (!schemaPos) throw new Error(`${where}: the Arrow footer has no schema; the file is damaged, re-run hyperclone prepare`);
  const column = decodeColumn(bb, bb.__indirect(schemaPos), where);
  const batchesPos = field(bb, footer, 3);
  const n = batchesPos ? bb.__vector_len(batchesPos) : 0;
  const start = batchesPos ? bb.__vector(batchesPos) : 0;
  const blocks: ArrowBlock[] = [];
  for (let i = 0; i < n; i++) {
    const p = start + 24 * i;
    blocks.push({ offset: int64(bb, p), metaDataLength: bb.readInt32(p + 8), bodyLength: int64(bb, p + 16) });
  }
  return { column, blocks };
}

export interface RecordBatchInfo {
  length: number;
  nullCount: number;
  /** Offset of the data buffer inside the body. */
  dataOffset: number;
  dataLength: number;
  bodyLength: number;
}

/** Decodes a record-batch Message flatbuffer (without the continuation/length prefix). */
export function decodeRecordBatch(bytes: Uint8Array, where: string): RecordBatchInfo {
  const bb = new ByteBuffer(bytes);
  const message = rootTable(bb);
  const typePos = field(bb, message, 1);
  if (!typePos || bb.readUint8(typePos) !== HEADER_RECORD_BATCH)
    throw new Error(`${where}: expected a record batch message; the file is damaged, re-run hyperclone prepare`);
  const bodyPos = field(bb, message, 3);
  const header = bb.__indirect(field(bb, message, 2));
  if (field(bb, header, 3)) throw new Error(`${where}: compressed record batches are not supported; write the file without compression`);
  const lengthPos = field(bb, header, 0);
  const nodesPos = field(bb, header, 1);
  const buffersPos = field(bb, header, 2);
  if (!nodesPos || !buffersPos || bb.__vector_len(buffersPos) < 2)
    throw new Error(`${where}: record batch without nodes or buffers; the file is damaged`);
  const node = bb.__vector(nodesPos);
  const buffers = bb.__vector(buffersPos);
  return {
    length: lengthPos ? int64(bb, lengthPos) : 0,
    nullCount: int64(bb, node + 8),
    dataOffset: int64(bb, buffers + 16),
    dataLength: int64(bb, buffers + 24),
    bodyLength: bodyPos ? int64(bb, bodyPos) : 0,
  };
}
