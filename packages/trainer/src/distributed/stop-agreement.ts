// The step at which a stop request (Ctrl-C, SIGTERM) ends a data-parallel run, the same on every rank,
// agreed through the group's store. Not the loop (train-from.ts) and not the signal handling (the CLI).

import type { GroupStore } from '@hyperclone/core';

/**
 * A rank that wants to stop before running step s names s the last step (its peers may already be
 * inside it); the first such rank wins. Ranks never drift a step apart (each step's all-reduce waits
 * for all), so every rank runs up to that step and stops before the next. Costs one store round trip
 * per step (check); a key is read only once it is set or about to be.
 */
export class StopAgreement {
  private last: number | null = null;
  private voted = false;

  constructor(
    private readonly store: GroupStore,
    /** The run's namespace in the store (a group may train several runs). */
    private readonly prefix = '',
  ) {}

  /** Called before running step `next`; true when the group stops here (before running it). */
  stopsBefore(next: number, wantsToStop: boolean): boolean {
    if (this.last === null) {
      if (wantsToStop && !this.voted) {
        this.voted = true;
        if (this.store.add(`${this.prefix}stop/votes`, 1) === 1) this.store.set(`${this.prefix}stop/last`, String(next));
      }
      // a voter reads the winner's step (set right after the winning vote); the others only once it is set
      if (this.voted || this.store.check([`${this.prefix}stop/last`])) this.last = Number(this.store.get(`${this.prefix}stop/last`));
    }
    return this.last !== null && next > this.last;
  }
}
