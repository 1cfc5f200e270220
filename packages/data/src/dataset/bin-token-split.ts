// Reads llm.c `.bin` token shards (256-int32 header, magic 20240520) and nanoGPT raw uint16
// `train.bin`/`val.bin` as one TokenSplit. Not a writer: hyperclone writes Arrow datasets.

import { closeSync, fstatSync, openSync } from 'node:fs';
import { IdReader } from './id-reader.js';
import { dtypeBytes, type TokenDtype } from './token-dtype.js';
import { checkRange, type TokenSplit } from './token-split.js';

export const LLMC_MAGIC_GPT2 = 20240520;
export const LLMC_MAGIC_LLAMA3 = 20240801;
const LLMC_HEADER_BYTES = 256 * 4;

interface Segment {
  path: string;
  fd: number;
  dataPos: number;
  length: number;
  dtype: TokenDtype;
}

/** Header of an llm.c shard: dtype and token count, checked against the file size. */
function llmcHeader(path: string, fd: number): { dtype: TokenDtype; length: number } {
  const size = fstatSync(fd).size;
  if (size < LLMC_HEADER_BYTES)
    throw new Error(`${path}: ${size} bytes is shorter than the 1024-byte llm.c header; the shard is truncated`);
  const header = new Int32Array(IdReader.bytes(fd, 0, LLMC_HEADER_BYTES, path).buffer); // [256]
  const [magic, version, count] = [header[0]!, header[1]!, header[2]!];
  let dtype: TokenDtype;
  if (magic === LLMC_MAGIC_GPT2 && version === 1) dtype = 'uint16';
  else if (magic === LLMC_MAGIC_LLAMA3 && version === 7) dtype = 'uint32';
  else
    throw new Error(
      `${path}: llm.c header magic ${magic} version ${version} is not supported (expected ${LLMC_MAGIC_GPT2} v1 or ${LLMC_MAGIC_LLAMA3} v7)`,
    );
  const bytes = dtypeBytes(dtype);
  if (size !== LLMC_HEADER_BYTES + count * bytes) {
    throw new Error(
      `${path}: header says ${count} tokens (${LLMC_HEADER_BYTES + count * bytes} bytes) but the file has ${size} bytes; the shard is truncated or damaged`,
    );
  }
  return { dtype, length: count };
}

function openSegment(path: string, kind: 'llmc' | 'raw'): Segment {
  const fd = openSync(path, 'r');
  try {
    if (kind === 'llmc') return { path, fd, dataPos: LLMC_HEADER_BYTES, ...llmcHeader(path, fd) };
    const size = fstatSync(fd).size;
    if (size % 2 !== 0) throw new Error(`${path}: ${size} bytes is not a whole number of uint16 tokens; the file is truncated`);
    return { path, fd, dataPos: 0, length: size / 2, dtype: 'uint16' };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

export class BinTokenSplit implements TokenSplit {
  readonly length: number;
  private readonly segments: Segment[];
  private readonly starts: number[];
  private readonly reader = new IdReader('bin split');
  private closed = false;

  constructor(
    readonly name: string,
    paths: string[],
    kind: 'llmc' | 'raw',
  ) {
    this.segments = [];
    try {
      for (const p of paths) this.segments.push(openSegment(p, kind));
    } catch (e) {
      for (const s of this.segments) closeSync(s.fd);
      throw e;
    }
    this.starts = [0];
    for (const s of this.segments) this.starts.push(this.starts[this.starts.length - 1]! + s.length);
    this.length = this.starts[this.segments.length]!;
  }

  get dtype(): TokenDtype {
    return this.segments[0]?.dtype ?? 'uint16';
  }

  read(start: number, count: number): Int32Array {
    const out = new Int32Array(count);
    this.readInto(start, count, out, 0);
    return out;
  }

  readInto(start: number, count: number, out: Int32Array, outOffset = 0): void {
    if (this.closed) throw new Error(`${this.name}: read after close`);
    checkRange(this, start, count);
    let pos = start;
    let done = 0;
    let i = 0;
    while (done < count) {
      while (this.starts[i + 1]! <= pos) i++;
      const seg = this.segments[i]!;
      const within = pos - this.starts[i]!;
      const n = Math.min(count - done, seg.length - within);
      const bytes = dtypeBytes(seg.dtype);
      this.reader.read(seg.fd, seg.dataPos + within * bytes, seg.dtype, n, out, outOffset + done);
      done += n;
      pos += n;
    }
  }

  close(): void {
    if (!this.closed) for (const s of this.segments) closeSync(s.fd);
    this.closed = true;
  }
}
