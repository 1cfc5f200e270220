// Opens an Arrow IPC token file through its footer and reads token ranges on demand (random access).
// Not a loader of whole files: opening reads the footer and the first and last batch headers, whatever
// the file size (every header only when batch sizes vary); other headers are checked on first read.

import { closeSync, fstatSync, openSync } from 'node:fs';
import { ARROW_MAGIC, CONTINUATION, type ArrowBlock } from './arrow-ipc.js';
import { decodeFooter, decodeRecordBatch, type RecordBatchInfo } from './arrow-ipc-decode.js';
import { IdReader } from './id-reader.js';
import { dtypeBytes, type TokenDtype } from './token-dtype.js';
import { checkRange, type TokenSplit } from './token-split.js';

const HINT = 're-run hyperclone prepare to rebuild the dataset';

export class ArrowTokenFile implements TokenSplit {
  readonly length: number;
  readonly dtype: TokenDtype;
  readonly batchCount: number;
  /** Tokens per record batch when all but the last have the same size, else 0. */
  readonly batchTokens: number;
  private fd: number;
  private readonly blocks: ArrowBlock[];
  private readonly starts: Float64Array; // [nBatches + 1] first token of each batch
  private readonly dataPos: Float64Array; // [nBatches] file position of each data buffer, NaN until read
  private readonly reader: IdReader;

  private constructor(
    readonly name: string,
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.reader = new IdReader(path);
    const size = fstatSync(fd).size;
    const magic = new TextDecoder().decode(IdReader.bytes(fd, 0, 6, path));
    const tail = size >= 16 ? IdReader.bytes(fd, size - 10, 10, path) : new Uint8Array(10);
    const tailMagic = new TextDecoder().decode(tail.subarray(4));
    if (magic !== ARROW_MAGIC || tailMagic !== ARROW_MAGIC) {
      throw new Error(
        `${path}: not an Arrow IPC file (magic "${ARROW_MAGIC}" missing at the ${magic !== ARROW_MAGIC ? 'start' : 'end'}); the file is truncated or of another format, ${HINT}`,
      );
    }
    const footerLength = new DataView(tail.buffer).getInt32(0, true);
    if (footerLength <= 0 || footerLength > size - 18) throw new Error(`${path}: bad Arrow footer length ${footerLength}; ${HINT}`);
    const footer = decodeFooter(IdReader.bytes(fd, size - 10 - footerLength, footerLength, path), path);
    if (footer.column.name !== 'token') throw new Error(`${path}: the column is named "${footer.column.name}", expected "token"; ${HINT}`);
    this.dtype = footer.column.dtype;
    this.blocks = footer.blocks;
    this.batchCount = footer.blocks.length;
    this.dataPos = new Float64Array(this.batchCount).fill(NaN);
    this.starts = new Float64Array(this.batchCount + 1);
    this.batchTokens = this.layout();
    this.length = this.starts[this.batchCount]!;
  }

  static open(path: string, name: string): ArrowTokenFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${HINT}`);
    }
    try {
      return new ArrowTokenFile(name, path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Fills `starts`: from the first batch's length when the body sizes say batches are fixed-size, else from every header. */
  private layout(): number {
    const n = this.batchCount;
    if (n === 0) return 0;
    const first = this.header(0).length;
    const fixed = this.blocks.every((b, i) => i === n - 1 || b.bodyLength === this.blocks[0]!.bodyLength);
    if (fixed) {
      const last = n === 1 ? first : this.header(n - 1).length;
      for (let i = 0; i <= n; i++) this.starts[i] = Math.min(i * first, (n - 1) * first + last);
      if (last > first) throw new Error(`${this.path}: last record batch (${last} tokens) is larger than the first (${first}); ${HINT}`);
      return first;
    }
    for (let i = 0; i < n; i++) this.starts[i + 1] = this.starts[i]! + this.header(i).length;
    return 0;
  }

  /** Reads and checks the metadata of batch i, remembering where its data starts. */
  private header(i: number): RecordBatchInfo {
    const block = this.blocks[i]!;
    const where = `${this.path} (record batch ${i})`;
    const prefix = IdReader.bytes(this.fd, block.offset, 8, where);
    const view = new DataView(prefix.buffer);
    const continued = view.getUint32(0, true) === CONTINUATION;
    const metaLength = continued ? view.getInt32(4, true) : view.getInt32(0, true);
    const metaStart = block.offset + (continued ? 8 : 4);
    const info = decodeRecordBatch(IdReader.bytes(this.fd, metaStart, metaLength, where), where);
    const bytes = dtypeBytes(this.dtype);
    if (info.nullCount !== 0) throw new Error(`${where}: ${info.nullCount} null token ids; token files have no nulls, ${HINT}`);
    if (info.dataLength < info.length * bytes)
      throw new Error(`${where}: data buffer of ${info.dataLength} bytes holds fewer than ${info.length} ids; ${HINT}`);
    this.dataPos[i] = block.offset + block.metaDataLength + info.dataOffset;
    return info;
  }

  private ensureHeader(i: number): number {
    if (Number.isNaN(this.dataPos[i]!)) {
      const info = this.header(i);
      const expected = this.starts[i + 1]! - this.starts[i]!;
      if (info.length !== expected)
        throw new Error(`${this.path}: record batch ${i} has ${info.length} tokens, expected ${expected}; ${HINT}`);
    }
    return this.dataPos[i]!;
  }

  private batchOf(pos: number): number {
    if (this.batchTokens > 0) return Math.min(Math.floor(pos / this.batchTokens), this.batchCount - 1);
    let lo = 0;
    let hi = this.batchCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  read(start: number, count: number): Int32Array {
    const out = new Int32Array(count);
    this.readInto(start, count, out, 0);
    return out;
  }

  readInto(start: number, count: number, out: Int32Array, outOffset = 0): void {
    if (this.fd < 0) throw new Error(`${this.path}: read after close`);
    checkRange(this, start, count);
    let pos = start;
    let done = 0;
    while (done < count) {
      const i = this.batchOf(pos);
      const within = pos - this.starts[i]!;
      const n = Math.min(count - done, this.starts[i + 1]! - pos);
      const bytes = dtypeBytes(this.dtype);
      this.reader.read(this.fd, this.ensureHeader(i) + within * bytes, this.dtype, n, out, outOffset + done);
      done += n;
      pos += n;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
