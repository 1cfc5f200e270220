// BatchSampler: deterministic, resumable [B, T] batches of (inputs, targets) from a TokenSplit,
// random windows with replacement (nanoGPT) or shuffled epochs without replacement.
// Not a data loader thread: reads are synchronous and cheap (a few KB per row).

import type { Stateful } from '@hyperclone/core';
import { Permutation } from './permutation.js';
import { randomBelow, streamRng } from './stream-rng.js';
import type { TokenSplit } from '../dataset/token-split.js';

export type SamplerMode = 'random' | 'epoch';

/** The sampler's cursor: small JSON saved in checkpoints. */
export interface SamplerState {
  kind: 'hyperclone-sampler';
  version: 1;
  mode: SamplerMode;
  seed: number;
  batchSize: number;
  seqLen: number;
  rank: number;
  worldSize: number;
  /** Tokens in the split when the state was taken: a different length means different data. */
  splitLength: number;
  /** Batches this rank has drawn so far. */
  step: number;
}

export interface BatchSamplerOptions {
  batchSize: number;
  seqLen: number;
  seed: number;
  rank?: number;
  worldSize?: number;
  mode?: SamplerMode;
  /** Resume from a saved cursor (same as calling loadStateDict). */
  state?: SamplerState;
}

export interface Batch {
  /** [B, T] row-major token ids. */
  inputs: Int32Array;
  /** [B, T] the next token of each input position. */
  targets: Int32Array;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`BatchSampler: ${name} must be a positive integer (got ${v})`);
  return v;
}

export class BatchSampler implements Stateful<SamplerState> {
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly mode: SamplerMode;
  /** Non-overlapping windows per epoch (epoch mode). */
  readonly windowsPerEpoch: number;
  private step = 0;
  private perm: Permutation | null = null;
  private permEpoch = -1;
  private readonly row: Int32Array; // [T + 1]

  constructor(
    readonly split: TokenSplit,
    options: BatchSamplerOptions,
  ) {
    this.batchSize = positiveInt(options.batchSize, 'batchSize');
    this.seqLen = positiveInt(options.seqLen, 'seqLen');
    this.worldSize = positiveInt(options.worldSize ?? 1, 'worldSize');
    this.rank = options.rank ?? 0;
    if (!Number.isInteger(this.rank) || this.rank < 0 || this.rank >= this.worldSize)
      throw new Error(`BatchSampler: rank ${this.rank} is outside [0, ${this.worldSize})`);
    if (!Number.isInteger(options.seed)) throw new Error(`BatchSampler: seed must be an integer (got ${options.seed})`);
    this.seed = options.seed >>> 0;
    this.mode = options.mode ?? 'random';
    if (this.mode !== 'random' && this.mode !== 'epoch')
      throw new Error(`BatchSampler: mode must be "random" or "epoch" (got "${String(this.mode)}")`);
    if (split.length < this.seqLen + 1) {
      throw new Error(
        `BatchSampler: the ${split.name} split has ${split.length} tokens, fewer than seqLen + 1 = ${this.seqLen + 1}; use a shorter --seq-len or more data`,
      );
    }
    this.windowsPerEpoch = Math.floor((split.length - 1) / this.seqLen);
    this.row = new Int32Array(this.seqLen + 1);
    if (options.state) this.loadStateDict(options.state);
  }

  /** First token of global window g (g counts windows over all ranks: step * W * B + rank * B + b). */
  windowStart(g: number): number {
    if (this.mode === 'random') return randomBelow(streamRng(this.seed, 'sampler/random', g), this.split.length - this.seqLen);
    const epoch = Math.floor(g / this.windowsPerEpoch);
    if (epoch !== this.permEpoch) {
      this.perm = new Permutation(this.windowsPerEpoch, this.seed, 'sampler/epoch', epoch);
      this.permEpoch = epoch;
    }
    return this.perm!.at(g % this.windowsPerEpoch) * this.seqLen;
  }

  /** The next [B, T] batch of this rank. */
  next(): Batch {
    const { batchSize: B, seqLen: T } = this;
    const inputs = new Int32Array(B * T); // [B, T]
    const targets = new Int32Array(B * T); // [B, T]
    const first = (this.step * this.worldSize + this.rank) * B;
    for (let b = 0; b < B; b++) {
      this.split.readInto(this.windowStart(first + b), T + 1, this.row, 0); // [T + 1]
      inputs.set(this.row.subarray(0, T), b * T);
      targets.set(this.row.subarray(1, T + 1), b * T);
    }
    this.step++;
    return { inputs, targets };
  }

  /** Completed passes over the data (epoch mode; fractional). */
  get epoch(): number {
    return (this.step * this.worldSize * this.batchSize) / this.windowsPerEpoch;
  }

  stateDict(): SamplerState {
    const { mode, seed, batchSize, seqLen, rank, worldSize, step } = this;
    return { kind: 'hyperclone-sampler', version: 1, mode, seed, batchSize, seqLen, rank, worldSize, splitLength: this.split.length, step };
  }

  /**
   * Continues from a saved cursor; the next batch is the one an uninterrupted run would draw. A cursor
   * counts draws of the global batch (batchSize x worldSize windows), so it resumes on another number of
   * ranks when the global batch is the same (2 ranks x 4 windows continue as 1 x 8, and back).
   */
  loadStateDict(state: SamplerState, source = 'the saved state'): void {
    if (state?.kind !== 'hyperclone-sampler' || state.version !== 1) {
      throw new Error(`BatchSampler: ${source} holds no sampler state (kind ${String(state?.kind)}, version ${String(state?.version)})`);
    }
    const mine = this.stateDict();
    const sameWorld = state.worldSize === mine.worldSize;
    for (const key of ['mode', 'seed', 'seqLen', 'splitLength', ...(sameWorld ? (['batchSize'] as const) : [])] as const) {
      if (state[key] !== mine[key]) {
        throw new Error(
          `BatchSampler: ${source} has ${key} ${String(state[key])}, this sampler has ${String(mine[key])}; resume with the same data and options`,
        );
      }
    }
    if (!sameWorld && state.batchSize * state.worldSize !== mine.batchSize * mine.worldSize) {
      throw new Error(
        `BatchSampler: ${source} draws ${state.batchSize * state.worldSize} windows a step (batchSize ${state.batchSize} x worldSize ${state.worldSize}), this sampler ${mine.batchSize * mine.worldSize} (${mine.batchSize} x ${mine.worldSize}); resume with the same global batch`,
      );
    }
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`BatchSampler: ${source} has a bad step ${state.step}`);
    this.step = state.step;
  }
}
