// The process group a data-parallel run trains in: its rank, its size, collectives over a backend's
// tensors, and the rendezvous store's key-value. Not an implementation (backend-torch binds c10d).

import type { Tensor } from './backend.js';
import type { ShardLayout } from './shard-layout.js';

/** How allReduce combines the ranks' values ('avg' is the sum divided by the world size). */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

/** The rendezvous store (c10d's TCPStore): small strings every rank can read, shared by the group. */
export interface GroupStore {
  set(key: string, value: string): void;
  /** Waits (up to the group's timeout) until the key is set, then returns its value. */
  get(key: string): string;
  /** Adds delta to the integer at key (0 when unset) and returns the new value. */
  add(key: string, delta: number): number;
  /** True when every key is set (never waits). */
  check(keys: readonly string[]): boolean;
}

/**
 * Every call is collective: each rank makes the same calls in the same order, and each call
 * returns once all ranks have made it, or throws (naming this rank) when a peer died or the
 * group's timeout passed. After a throw the group is broken: every later call throws too.
 */
export interface ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  /** The collective engine, e.g. 'gloo' or 'nccl'. */
  readonly engine: string;
  /** How long one collective may wait for the others (ms). */
  readonly timeoutMs: number;
  /**
   * Combines the tensors across ranks: new tensors with the result (the inputs stay as they were;
   * the caller disposes both). Tensors travel in flat buckets of at most bucketBytes (default 25 MB,
   * PyTorch DDP's bucket_cap_mb).
   */
  allReduce(tensors: readonly Tensor[], op: ReduceOp, options?: { bucketBytes?: number }): Tensor[];
  /**
   * This rank's shard of the tensors summed (or averaged) over the ranks: a new flat tensor of
   * `layout.shardNumel` elements in core's shard layout (shard-layout.ts; `layout.bucketCounts` must cover
   * the tensors). The inputs stay as they were. ZeRO-2's gradient reduction.
   */
  reduceScatter(tensors: readonly Tensor[], op: 'sum' | 'avg', layout: Pick<ShardLayout, 'bucketCounts'>): Tensor;
  /**
   * The inverse: every rank's shard (flat, `shardNumel` elements, in the same layout) gathered and written
   * into the tensors in place, padding dropped. ZeRO's parameter gather after the sharded update.
   */
  allGather(shard: Tensor, into: readonly Tensor[], layout: Pick<ShardLayout, 'bucketCounts'>): void;
  /** Overwrites every rank's tensors with rank root's values, in place (plain contiguous tensors only). */
  broadcast(tensors: readonly Tensor[], root: number): void;
  /** Returns once every rank has reached it. */
  barrier(): void;
  readonly store: GroupStore;
  /** Leaves the group (no collective: a rank may close while others already have). */
  close(): void;
}
