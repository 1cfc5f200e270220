// Who decides and who follows when a run is several processes: rank 0 decides (it scores the tasks, writes
// the run directory, logs and reports) and the others take its word; every rank agrees to start and on the
// step to stop at; rank 0's weights and moments are broadcast; gradients are averaged (or, for ZeRO-2,
// reduce-scattered to shards) and counts summed.
// One process is the same interface with nothing to agree on, so the loop never asks which it is.
// Not the collectives themselves (core's ProcessGroup, bound by backend-torch).

import type { Backend, ProcessGroup, ShardLayout, Tensor } from '@hyperclone/core';
import { hostTensor, multiTensorOps } from '@hyperclone/core';
import type { ReduceGradients, ReduceMicroBatch } from '../model/train-step.js';
import { StopAgreement } from './stop-agreement.js';

export interface Ranks {
  readonly rank: number;
  readonly worldSize: number;
  /** Rank 0, or the only process: the one that decides and writes. */
  readonly main: boolean;
  /**
   * Rank 0's `decide()` on every rank (the others wait for it; its value must survive JSON). When it throws on
   * rank 0, every rank throws its message. Call in the same order on every rank.
   */
  decide<T>(decide: () => T): T;
  /** Runs `write` on rank 0 alone (the others never write the run directory); undefined elsewhere. */
  onMain<T>(write: () => Promise<T>): Promise<T | undefined>;
  /**
   * Every rank says whether it could open the run and ranks > 0 check their settings against rank 0's;
   * throws on every rank when one failed (naming it) or differs. Nothing is written before it returns.
   */
  agreeToStart(fingerprint: Record<string, unknown>, failure: Error | null): void;
  /** Every rank's tensors take rank 0's values, in place (weights and moments at the start). */
  broadcast(tensors: readonly Tensor[]): void;
  /** Checked before step `next`: true when the run stops here; every rank stops before the same step. */
  stopsBefore(next: number, wantsToStop: boolean): boolean;
  /** Element-wise sums over the ranks. */
  sum(values: readonly number[]): number[];
  /** This rank's contiguous share of items; the shares cover them once. */
  share<T>(items: readonly T[]): T[];
  /** The seam between backward and clipping (train-step.ts): null in one process. */
  readonly reduceGradients: ReduceGradients | null;
  /** The process group ZeRO's sharded optimizer gathers over (null in one process). */
  readonly group: ProcessGroup | null;
  /**
   * ZeRO-2's seam instead of reduceGradients: the gradient stays this rank's shard; the micro-batch losses are
   * averaged over the ranks and the whole gradient's Σg² is the sum of the shards' (null in one process).
   */
  readonly reduceShardedGradients: ReduceGradients | null;
  /**
   * ZeRO-2, after each micro-batch's backward: this rank's shard of the gradients averaged over the ranks
   * (reduce-scatter in the optimizer's shard layout), so that only shards are summed and kept (null in one process).
   */
  reduceScatterMicroBatch(layout: () => Pick<ShardLayout, 'bucketCounts'>): ReduceMicroBatch | null;
  /** The end of a run: no rank leaves while another still needs the group. */
  finish(): void;
}

/** One process: it decides, writes, and stops when asked. */
export const ONE_PROCESS: Ranks = {
  rank: 0,
  worldSize: 1,
  main: true,
  decide: (decide) => decide(),
  onMain: (write) => write(),
  agreeToStart: (_fingerprint, failure) => {
    if (failure) throw failure;
  },
  broadcast: () => undefined,
  stopsBefore: (_next, wantsToStop) => wantsToStop,
  sum: (values) => [...values],
  share: (items) => [...items],
  reduceGradients: null,
  group: null,
  reduceShardedGradients: null,
  reduceScatterMicroBatch: () => null,
  finish: () => undefined,
};

/** The ranks of `group` (one process when there is none). */
export function ranksOf(group: ProcessGroup | undefined, b: Backend): Ranks {
  return group ? new GroupRanks(group, b) : ONE_PROCESS;
}

/** trainFrom calls per group so far: every rank makes the same calls, so the count names a run's store keys. */
const runsOf = new WeakMap<ProcessGroup, number>();

class GroupRanks implements Ranks {
  private readonly stop: StopAgreement;
  private decided = 0;
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

  get main(): boolean {
    return this.group.rank === 0;
  }

  /** "rank R of W", for messages. */
  private get who(): string {
    return `rank ${this.rank} of ${this.worldSize}`;
  }

  /** Through the store: rank 0 sets the value (or its error), the others wait for it. */
  decide<T>(decide: () => T): T {
    const key = `${this.prefix}share/${this.decided++}`;
    if (this.main) {
      let value: T;
      try {
        value = decide();
      } catch (e) {
        this.group.store.set(key, JSON.stringify({ error: (e as Error).message }));
        throw e;
      }
      this.group.store.set(key, JSON.stringify({ value }));
      return value;
    }
    const decided = JSON.parse(this.group.store.get(key)) as { value: T } | { error: string };
    if ('error' in decided) throw new Error(decided.error);
    return decided.value;
  }

  async onMain<T>(write: () => Promise<T>): Promise<T | undefined> {
    return this.main ? write() : undefined;
  }

  /** A collective, so a rank that died before it is noticed at once. */
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

  broadcast(tensors: readonly Tensor[]): void {
    this.group.broadcast(tensors, 0);
  }

  stopsBefore(next: number, wantsToStop: boolean): boolean {
    return this.stop.stopsBefore(next, wantsToStop);
  }

  /** float32, identical bits on every rank. */
  sum(values: readonly number[]): number[] {
    const b = this.b;
    const local = b.fromHost(hostTensor([values.length], Float32Array.from(values)));
    const [total] = this.group.allReduce([local], 'sum');
    const out = Array.from(b.toHost(total!).data);
    b.dispose([local, total!]);
    return out;
  }

  /** Rank r: items [r·n/W, (r+1)·n/W). */
  share<T>(items: readonly T[]): T[] {
    const n = items.length;
    return items.slice(Math.floor((this.rank * n) / this.worldSize), Math.floor(((this.rank + 1) * n) / this.worldSize));
  }

  /**
   * Every rank's gradient sums and micro-batch losses averaged over the ranks, in one all-reduce. Sums stay
   * sums over micro-batches, as the seam asks.
   */
  readonly reduceGradients: ReduceGradients = (b, local) => {
    const n = local.grads.length;
    const all = [...local.grads, ...local.losses];
    const reduced = this.group.allReduce(all, 'avg');
    b.dispose(all);
    return { grads: reduced.slice(0, n), losses: reduced.slice(n) };
  };

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

  reduceScatterMicroBatch(layout: () => Pick<ShardLayout, 'bucketCounts'>): ReduceMicroBatch {
    return (b, grads) => {
      const shard = this.group.reduceScatter(grads, 'avg', layout());
      b.dispose(grads);
      return [shard];
    };
  }

  finish(): void {
    this.group.barrier();
  }
}
