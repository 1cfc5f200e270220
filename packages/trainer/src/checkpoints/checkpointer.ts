// The checkpointer as a part: saves step checkpoints and `best` (rank 0 writes, the others only keep
// count), once per step, remembers the last of each, and turns a full disk into a message naming the last
// good checkpoint. Its state is the checkpoint a run resumed from. Not what goes into a checkpoint (the run
// gathers the parts' states), the folder's layout (checkpoint-store.ts) or the format (core's checkpoint.ts).

import type { Checkpoint, Stateful } from '@hyperclone/core';
import { isNoSpace, OutputError } from '@hyperclone/core';
import type { Ranks } from '../distributed/ranks.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';

export interface CheckpointerState {
  /** The newest checkpoint this run wrote or resumed from. */
  lastSaved: StoredCheckpoint | null;
}

export class Checkpointer implements Stateful<CheckpointerState> {
  lastSaved: StoredCheckpoint | null = null;
  private lastBest: StoredCheckpoint | null = null;

  constructor(
    readonly store: CheckpointStore,
    private readonly ranks: Ranks,
  ) {}

  /** Saves checkpoints/step-N from `snapshot` (once per step); null when this step's was saved already. */
  async save(step: number, snapshot: () => Checkpoint): Promise<{ path: string; saved: boolean }> {
    if (this.lastSaved?.step === step) return { path: this.lastSaved.path, saved: false };
    const path = (await this.ranks.onMain(() => this.writing(() => this.store.save(step, snapshot())))) ?? this.store.pathOf(step);
    this.lastSaved = { step, path };
    return { path, saved: this.ranks.main };
  }

  /** Saves checkpoints/best (a full, resumable checkpoint of the lowest validation loss so far); null on ranks > 0. */
  async saveBest(step: number, snapshot: () => Checkpoint): Promise<string | null> {
    const path = await this.ranks.onMain(() => this.writing(() => this.store.saveBest(step, snapshot())));
    if (path === undefined) return null;
    this.lastBest = { step, path };
    return path;
  }

  /** The newest checkpoint on disk that this run wrote or resumed from (a step checkpoint or best), in words. */
  lastGoodText(none: string): string {
    const good = this.lastBest && (!this.lastSaved || this.lastBest.step > this.lastSaved.step) ? this.lastBest : this.lastSaved;
    return good ? `the last good checkpoint is ${good.path} (step ${good.step})` : none;
  }

  /** Runs a write of the run directory; a full disk's error also names the last good checkpoint. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      throw new OutputError(
        `${(e as Error).message}; ${this.lastGoodText('no checkpoint was saved yet')}`,
        'ENOSPC',
        (e as OutputError).path,
      );
    }
  }

  stateDict(): CheckpointerState {
    return { lastSaved: this.lastSaved };
  }

  loadStateDict(state: CheckpointerState): void {
    this.lastSaved = state.lastSaved;
  }
}
