// What a data-parallel run does with its process group: agree to start, broadcast rank 0's weights and
// moments, average gradient sums and losses at the step's seam (or, for ZeRO-2, reduce-scatter each
// micro-batch's gradients to shards), sum evaluation counts, share rank 0's results, agree on a stop, and meet at the end. Not the collectives themselves (backend-torch binds c10d).

import type { Backend, ProcessGroup, ShardLayout, Tensor } from '@hyperclone/core';
import { hostTensor, multiTensorOps } from '@hyperclone/core';
import { StopAgreement } from './stop-agreement.js';
import type { ReduceGradients, ReduceMicroBatch } from './train-step.js';

/** trainFrom calls per group so far: every rank makes the same calls, so the count names a run's store keys. */
const runsOf = new WeakMap<ProcessGroup, number>();

export class DataParallel {
  readonly stop: StopAgreement;
  private shared = 0;
  /** This run's store keys: a group may train several runs in turn (the benchmark's arms). */
  private readonly prefix: string;

  constructor(
    readonly group: ProcessGroup,
    private readonly b: Backend,
  ) {
    const run = runsOf.get(group) ?? 0;
    runsOf.set(group, run + 1);
    this.prefix = `run${run}/`;
    this.stop = new StopAgreement(group.store, this.prefix);
  }

  get rank(): number {
    return this.group.rank;
  }

  get worldSize(): number {
    return this.group.worldSize;
  }

  /** Rank 0 alone writes the run directory, logs and calls the hooks. */
  get main(): boolean {
    return this.group.rank === 0;
  }

  /** "rank R of W", for messages. */
  get who(): string {
    return `rank ${this.rank} of ${this.worldSize}`;
  }

  /**
   * The seam between backward and clipping: every rank's gradient sums and micro-batch losses averaged
   * over the ranks, in one all-reduce (25 MB buckets). Sums stay sums over micro-batches, as the seam asks.
   */
  readonly reduceGradients: ReduceGradients = (b, local) => {
    const n = local.grads.length;
    const all = [...local.grads, ...local.losses];
    const reduced = this.group.allReduce(all, 'avg');
    b.dispose(all);
    return { grads: reduced.slice(0, n), losses: reduced.slice(n) };
  };

  /**
   * ZeRO-2, after each micro-batch's backward: this rank's shard of the gradients averaged over the ranks
   * (reduce-scatter in the optimizer's shard layout), so that only shards are summed over micro-batches and kept.
   */
  reduceScatterMicroBatch(layout: () => Pick<ShardLayout, 'bucketCounts'>): ReduceMicroBatch {
    return (b, grads) => {
      const shard = this.group.reduceScatter(grads, 'avg', layout());
      b.dispose(grads);
      return [shard];
    };
  }

  /**
   * ZeRO-2's seam: the gradient stays this rank's shard; the micro-batch losses are averaged over the ranks and
   * the whole gradient's Σg² is the sum of the shards' (for the clip and the logged norm).
   */
  readonly reduceShardedGradients: ReduceGradients = (b, local) => {
    const ops = multiTensorOps(b);
    if (!ops) throw new Error(`ZeRO-2 needs an engine with multi-tensor ops; ${b.engine} has none`);
    const losses = this.group.allReduce(local.losses, 'avg');
    b.dispose(local.losses);
    const mine = ops.sumOfSquares(local.grads);
    const [sumSq] = this.group.allReduce([mine], 'sum');
    b.dispose(mine);
    return { grads: local.grads, losses, sumSq: sumSq! };
  };

  /**
   * Every rank says whether it opened the run, and ranks > 0 check their settings against rank 0's.
   * Throws on every rank when any rank failed (naming it) or differs. A collective, so a rank that died
   * before it is noticed at once; nothing is written to the run directory before this returns.
   */
  agreeToStart(fingerprint: Record<string, unknown>, failure: Error | null): void {
    const { store } = this.group;
    store.set(`${this.prefix}start/${this.rank}`, JSON.stringify(failure ? { error: failure.message } : { fingerprint }));
    const [failed] = this.sum([failure ? 1 : 0]);
    if (failure) throw failure;
    if (failed! > 0) {
      for (let r = 0; r < this.worldSize; r++) {
        const theirs = JSON.parse(store.get(`${this.prefix}start/${r}`)) as { error?: string };
        if (theirs.error !== undefined) throw new Error(`rank ${r} of ${this.worldSize} could not start: ${theirs.error}`);
      }
    }
    if (this.main) return;
    const zero = (JSON.parse(store.get(`${this.prefix}start/0`)) as { fingerprint: Record<string, unknown> }).fingerprint;
    const differs = Object.keys(fingerprint).filter((k) => JSON.stringify(fingerprint[k]) !== JSON.stringify(zero[k]));
    if (differs.length > 0)
      throw new Error(
        `${this.who} was started with other settings than rank 0 (${differs.join(', ')}); launch every rank with the same command`,
      );
  }

  /** Every rank's tensors take rank 0's values, in place (weights and moments at the start). */
  broadcastFromRankZero(tensors: readonly Tensor[]): void {
    this.group.broadcast(tensors, 0);
  }

  /** Element-wise sums over the ranks (float32, identical bits on every rank). */
  sum(values: readonly number[]): number[] {
    const b = this.b;
    const local = b.fromHost(hostTensor([values.length], Float32Array.from(values)));
    const [total] = this.group.allReduce([local], 'sum');
    const out = Array.from(b.toHost(total!).data);
    b.dispose([local, total!]);
    return out;
  }

  /** This rank's contiguous share of items (rank r: [r·n/W, (r+1)·n/W)); the shares cover items once. */
  slice<T>(items: readonly T[]): T[] {
    const n = items.length;
    return items.slice(Math.floor((this.rank * n) / this.worldSize), Math.floor(((this.rank + 1) * n) / this.worldSize));
  }

  /** Rank 0's value on every rank (through the store: ranks > 0 wait for it). Call in the same order everywhere. */
  share<T>(value: () => T): T {
    const key = `${this.prefix}share/${this.shared++}`;
    if (this.main) {
      const v = value();
      this.group.store.set(key, JSON.stringify(v));
      return v;
    }
    return JSON.parse(this.group.store.get(key)) as T;
  }

  /** The end of a run: no rank leaves (and closes rank 0's store) while another still needs it. */
  finish(): void {
    this.group.barrier();
  }
}
