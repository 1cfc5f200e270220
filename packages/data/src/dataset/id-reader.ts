// Synchronous positioned reads of little-endian integer ids into an Int32Array, with a reused buffer.
// Not a cache: the operating system's page cache is what makes repeated reads fast.

import { readSync } from 'node:fs';
import { dtypeBytes, type TokenDtype } from './token-dtype.js';

export class IdReader {
  private scratch = new Uint8Array(new ArrayBuffer(1 << 16));

  constructor(private readonly where: string) {}

  /** Reads `count` ids of `dtype` at file position `pos` into out[outOffset...]. */
  read(fd: number, pos: number, dtype: TokenDtype, count: number, out: Int32Array, outOffset: number): void {
    const bytes = count * dtypeBytes(dtype);
    if (this.scratch.byteLength < bytes) this.scratch = new Uint8Array(new ArrayBuffer(Math.max(bytes, this.scratch.byteLength * 2)));
    let done = 0;
    while (done < bytes) {
      const n = readSync(fd, this.scratch, done, bytes - done, pos + done);
      if (n === 0) throw new Error(`${this.where}: file ends at byte ${pos + done} inside token data; the file is truncated, re-create it`);
      done += n;
    }
    const buf = this.scratch.buffer;
    const view =
      dtype === 'uint16'
        ? new Uint16Array(buf, 0, count)
        : dtype === 'uint32'
          ? new Uint32Array(buf, 0, count)
          : new Int32Array(buf, 0, count);
    out.set(view, outOffset);
  }

  /** Reads raw bytes at a position (for headers and metadata). */
  static bytes(fd: number, pos: number, length: number, where: string): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, pos + done);
      if (n === 0) throw new Error(`${where}: unexpected end of file at byte ${pos + done}; the file is truncated, re-create it`);
      done += n;
    }
    return out;
  }
}
