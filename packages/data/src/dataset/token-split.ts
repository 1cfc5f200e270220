// TokenSplit: a read-only, randomly addressable sequence of token ids (one split of a dataset).
// Not a sampler (see sampling/batch-sampler.ts) and not tied to a file format (Arrow and .bin both implement it).

/** The two splits of a dataset: training and validation tokens. */
export type SplitName = 'train' | 'val';

export interface TokenSplit {
  /** `train` or `val`. */
  readonly name: string;
  /** Number of tokens. */
  readonly length: number;
  /** Copies tokens [start, start + count) into a new array (synchronous, reads from disk on demand). */
  read(start: number, count: number): Int32Array;
  /** Copies tokens [start, start + count) into `out` at `outOffset`. */
  readInto(start: number, count: number, out: Int32Array, outOffset?: number): void;
  /** Releases file descriptors. Reads after close throw. */
  close(): void;
}

export function checkRange(split: { name: string; length: number }, start: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > split.length) {
    throw new RangeError(`${split.name}: cannot read ${count} tokens at ${start}; the split has ${split.length} tokens`);
  }
}
