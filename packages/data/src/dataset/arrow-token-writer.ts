// Streams token ids into an Arrow IPC file: one integer column `token`, fixed-size record batches.
// Not atomic by itself (prepareDataset writes into a temporary directory) and not a reader.

import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { ARROW_MAGIC, encodeFooter, encodeRecordBatchMessage, encodeSchemaMessage, type ArrowBlock } from './arrow-ipc.js';
import { dtypeBytes, dtypeMax, type TokenDtype } from './token-dtype.js';

/** Default record batch size: 1 Mi tokens (2 MiB of uint16). */
const DEFAULT_BATCH_TOKENS = 1 << 20;

export interface ArrowTokenWriterOptions {
  dtype: TokenDtype;
  batchTokens?: number;
  /** Ids must be below this (the vocabulary size). */
  vocabSize: number;
}

export interface ArrowWriteResult {
  tokens: number;
  batches: number;
  bytes: number;
  sha256: string;
}

type TokenArray = Uint16Array | Uint32Array | Int32Array;

function makeArray(dtype: TokenDtype, n: number): TokenArray {
  return dtype === 'uint16' ? new Uint16Array(n) : dtype === 'uint32' ? new Uint32Array(n) : new Int32Array(n);
}

export class ArrowTokenWriter {
  private readonly blocks: ArrowBlock[] = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer: TokenArray;
  private readonly limit: number;
  private fill = 0;
  private position = 0;
  private tokens = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly dtype: TokenDtype,
    readonly batchTokens: number,
    vocabSize: number,
  ) {
    this.buffer = makeArray(dtype, batchTokens);
    this.limit = Math.min(vocabSize, dtypeMax(dtype) + 1);
  }

  static async create(path: string, options: ArrowTokenWriterOptions): Promise<ArrowTokenWriter> {
    const batchTokens = options.batchTokens ?? DEFAULT_BATCH_TOKENS;
    if (!Number.isInteger(batchTokens) || batchTokens < 1) throw new Error(`batchTokens must be a positive integer (got ${batchTokens})`);
    if (options.vocabSize > dtypeMax(options.dtype) + 1) {
      throw new Error(`a vocabulary of ${options.vocabSize} ids does not fit ${options.dtype}; use dtype uint32`);
    }
    const fh = await open(path, 'w');
    const writer = new ArrowTokenWriter(fh, path, options.dtype, batchTokens, options.vocabSize);
    const head = new Uint8Array(8);
    head.set(new TextEncoder().encode(ARROW_MAGIC));
    await writer.write(head);
    await writer.write(encodeSchemaMessage({ name: 'token', dtype: options.dtype }));
    return writer;
  }

  /** Appends ids in order; each must be an integer in [0, vocabSize). */
  async append(ids: ArrayLike<number>): Promise<void> {
    let i = 0;
    while (i < ids.length) {
      const n = Math.min(ids.length - i, this.batchTokens - this.fill);
      for (let j = 0; j < n; j++) {
        const id = ids[i + j]!;
        if (!(id >= 0 && id < this.limit && Number.isInteger(id))) {
          throw new Error(
            `${this.path}: token id ${id} at position ${this.tokens + this.fill + j} is outside [0, ${this.limit}); the tokenizer and vocabulary size disagree`,
          );
        }
        this.buffer[this.fill + j] = id;
      }
      this.fill += n;
      i += n;
      if (this.fill === this.batchTokens) await this.flush();
    }
  }

  get length(): number {
    return this.tokens + this.fill;
  }

  /** Writes the last partial batch and the footer, closes the file. */
  async close(): Promise<ArrowWriteResult> {
    if (this.fill > 0) await this.flush();
    const eos = new Uint8Array(8);
    new DataView(eos.buffer).setUint32(0, 0xffffffff, true);
    await this.write(eos);
    const footer = encodeFooter({ name: 'token', dtype: this.dtype }, this.blocks);
    const tail = new Uint8Array(4 + ARROW_MAGIC.length);
    new DataView(tail.buffer).setInt32(0, footer.length, true);
    tail.set(new TextEncoder().encode(ARROW_MAGIC), 4);
    await this.write(footer);
    await this.write(tail);
    await this.fh.close();
    return { tokens: this.tokens, batches: this.blocks.length, bytes: this.position, sha256: this.hash.digest('hex') };
  }

  /** Closes the file without finishing it (the caller removes it). */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const dataBytes = this.fill * dtypeBytes(this.dtype);
    const bodyLength = Math.ceil(dataBytes / 8) * 8;
    const meta = encodeRecordBatchMessage(this.fill, dataBytes, bodyLength);
    this.blocks.push({ offset: this.position, metaDataLength: meta.length, bodyLength });
    await this.write(meta);
    await this.write(new Uint8Array(this.buffer.buffer, 0, dataBytes)); // no copy of the batch
    if (bodyLength > dataBytes) await this.write(new Uint8Array(bodyLength - dataBytes));
    this.tokens += this.fill;
    this.fill = 0;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    this.hash.update(bytes);
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += bytes.length;
  }
}
