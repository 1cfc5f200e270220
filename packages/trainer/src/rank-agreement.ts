// How the ranks of a data-parallel run agree without a collective over tensors: on starting (every
// rank opened the run, with the same settings), on the step a stop request ends (Ctrl-C reaches
// ranks at different moments), and on one evaluation row. All through the group's store.
// Not the gradients (data-parallel.ts) and not the loop (train-from.ts).

import type { GroupStore, ProcessGroup } from '@hyperclone/core';

/**
 * Every rank reports that it opened the run (or why it could not) and its settings fingerprint;
 * each then waits for all. Throws, on every rank, the first rank's failure or the first setting that
 * differs from rank 0's. Nothing is written to the run directory before this returns.
 */
export function agreeToStart(group: ProcessGroup, fingerprint: Record<string, unknown>, failure: Error | null): void {
  const { store, rank, worldSize } = group;
  store.set(`start/${rank}`, JSON.stringify(failure ? { error: failure.message } : { fingerprint }));
  if (failure) throw failure;
  const mine = JSON.stringify(fingerprint);
  for (let r = 0; r < worldSize; r++) {
    if (r === rank) continue;
    const theirs = JSON.parse(store.get(`start/${r}`)) as { error?: string; fingerprint?: Record<string, unknown> };
    if (theirs.error !== undefined) throw new Error(`rank ${r} of ${worldSize} could not start: ${theirs.error}`);
    if (r === 0 && JSON.stringify(theirs.fingerprint) !== mine) {
      const differs = Object.keys(fingerprint).filter((k) => JSON.stringify(fingerprint[k]) !== JSON.stringify(theirs.fingerprint?.[k]));
      throw new Error(
        `rank ${rank} of ${worldSize} was started with other settings than rank 0 (${differs.join(', ')}); launch every rank with the same command`,
      );
    }
  }
}

/**
 * The step at which a stop request ends the run, the same on every rank. A rank that wants to stop
 * before running step s names s the last step (its peers may already be inside it); the first such
 * rank wins. Ranks never drift a step apart (each step's all-reduce waits for all), so every rank
 * runs up to that step and stops before the next.
 */
export class StopAgreement {
  private last: number | null = null;
  private voted = false;

  constructor(private readonly store: GroupStore) {}

  /** Called before running step `next`; true when the group stops here (before running it). */
  stopsBefore(next: number, wantsToStop: boolean): boolean {
    if (this.last === null) {
      if (wantsToStop && !this.voted) {
        this.voted = true;
        if (this.store.add('stop/votes', 1) === 1) this.store.set('stop/last', String(next));
      }
      if (this.voted || this.store.check(['stop/last'])) this.last = Number(this.store.get('stop/last'));
    }
    return this.last !== null && next > this.last;
  }
}

/**
 * Shares a value rank 0 computed (e.g. an evaluation row with its downstream tasks) with every rank:
 * rank 0 passes it, the others receive it. `key` must be the same on every rank and used once.
 */
export function shareFromRankZero<T>(store: GroupStore, rank: number, key: string, value: T | null): T {
  if (rank === 0) {
    store.set(`share/${key}`, JSON.stringify(value));
    return value!;
  }
  return JSON.parse(store.get(`share/${key}`)) as T;
}

/** Sums each rank's numbers (in rank order, in float64, so every rank gets the same bits). */
export function sumAcrossRanks(group: ProcessGroup, key: string, values: readonly number[]): number[] {
  const { store, rank, worldSize } = group;
  store.set(`sum/${key}/${rank}`, JSON.stringify(values));
  const total = values.map(() => 0);
  for (let r = 0; r < worldSize; r++) {
    const theirs = r === rank ? values : (JSON.parse(store.get(`sum/${key}/${r}`)) as number[]);
    theirs.forEach((v, i) => (total[i]! += v));
  }
  return total;
}
