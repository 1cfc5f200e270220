// evalWindows: a fixed, seeded set of non-overlapping validation windows, identical for every run
// with the same seed, so evaluations compare across runs. Not a sampler (no state, no epochs).

import { Permutation } from './permutation.js';
import type { TokenSplit } from '../dataset/token-split.js';

export interface EvalWindowsOptions {
  /** Windows wanted; fewer are returned when the split is too short. */
  count: number;
  seqLen: number;
  seed: number;
}

export interface EvalWindows {
  count: number;
  seqLen: number;
  /** First token of each window, ascending. */
  starts: number[];
  /** [count, T] row-major. */
  inputs: Int32Array;
  /** [count, T] row-major, inputs shifted by one. */
  targets: Int32Array;
}

export function evalWindows(split: TokenSplit, options: EvalWindowsOptions): EvalWindows {
  const T = options.seqLen;
  if (!Number.isInteger(T) || T < 1) throw new Error(`evalWindows: seqLen must be a positive integer (got ${T})`);
  if (!Number.isInteger(options.count) || options.count < 1)
    throw new Error(`evalWindows: count must be a positive integer (got ${options.count})`);
  const available = Math.floor((split.length - 1) / T);
  if (available < 1)
    throw new Error(
      `evalWindows: the ${split.name} split has ${split.length} tokens, fewer than seqLen + 1 = ${T + 1}; use a shorter sequence or a larger validation split`,
    );
  const count = Math.min(options.count, available);
  const perm = new Permutation(available, options.seed >>> 0, 'eval-windows');
  const starts = Array.from({ length: count }, (_, i) => perm.at(i) * T).sort((a, b) => a - b);
  const inputs = new Int32Array(count * T); // [count, T]
  const targets = new Int32Array(count * T); // [count, T]
  const row = new Int32Array(T + 1);
  starts.forEach((start, i) => {
    split.readInto(start, T + 1, row, 0); // [T + 1]
    inputs.set(row.subarray(0, T), i * T);
    targets.set(row.subarray(1), i * T);
  });
  return { count, seqLen: T, starts, inputs, targets };
}
