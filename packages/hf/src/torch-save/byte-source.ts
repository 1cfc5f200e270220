// Bytes read in order for the unpickler: from memory (a zip archive's data.pkl) or from a file descriptor at an
// offset (a legacy torch.save file, whose pickles precede its storages). Not a zip reader and not the unpickler.

import { readSync } from 'node:fs';

/** Thrown when the bytes end before the pickle does. */
export class EndOfBytesError extends Error {
  override name = 'EndOfBytesError';
}

/** Thrown when a line (a GLOBAL's module or name) runs on past any real name. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

export interface ByteSource {
  /** Offset of the next byte (from the start of the buffer or file). */
  readonly position: number;
  byte(): number;
  bytes(n: number): Uint8Array;
  /** Bytes up to a newline, without it, as latin-1 text (GLOBAL's module and name). */
  line(): string;
}

const NEWLINE = 0x0a;
/** A pickle's lines are module and attribute names: anything longer is not one. */
const MAX_LINE = 4096;

export class BufferSource implements ByteSource {
  position = 0;
  constructor(private readonly data: Uint8Array) {}

  byte(): number {
    if (this.position >= this.data.length) throw new EndOfBytesError(`ends at byte ${this.data.length}`);
    return this.data[this.position++]!;
  }

  bytes(n: number): Uint8Array {
    if (this.position + n > this.data.length) throw new EndOfBytesError(`ends at byte ${this.data.length}`);
    const out = this.data.subarray(this.position, this.position + n);
    this.position += n;
    return out;
  }

  line(): string {
    return readLine(this);
  }
}

/** Reads a file from `start` through a window of `windowBytes`, refilled as the reader moves on. */
export class FdSource implements ByteSource {
  private window = new Uint8Array(0);
  private windowStart: number;
  position: number;

  constructor(
    private readonly fd: number,
    private readonly fileBytes: number,
    start = 0,
    private readonly windowBytes = 1 << 20,
  ) {
    this.position = start;
    this.windowStart = start;
  }

  byte(): number {
    return this.bytes(1)[0]!;
  }

  bytes(n: number): Uint8Array {
    if (this.position + n > this.fileBytes) throw new EndOfBytesError(`ends at byte ${this.fileBytes}`);
    const end = this.windowStart + this.window.length;
    if (this.position < this.windowStart || this.position + n > end) this.fill(n);
    const at = this.position - this.windowStart;
    this.position += n;
    return this.window.subarray(at, at + n);
  }

  line(): string {
    return readLine(this);
  }

  private fill(n: number): void {
    const size = Math.min(Math.max(n, this.windowBytes), this.fileBytes - this.position);
    const window = new Uint8Array(size);
    for (let done = 0; done < size;) {
      const got = readSync(this.fd, window, done, size - done, this.position + done);
      if (got === 0) throw new EndOfBytesError(`ends at byte ${this.position + done} (cut while being read?)`);
      done += got;
    }
    this.window = window;
    this.windowStart = this.position;
  }
}

function readLine(source: ByteSource): string {
  let text = '';
  for (;;) {
    const b = source.byte();
    if (b === NEWLINE) return text;
    if (text.length >= MAX_LINE) throw new LineTooLongError(`a GLOBAL name runs past ${MAX_LINE} bytes`);
    text += String.fromCharCode(b);
  }
}
