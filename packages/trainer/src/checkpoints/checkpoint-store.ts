// The run's checkpoints/ folder: step-NNNNNNNN checkpoints (the last K kept) and `best` (lowest
// validation loss, see best-link.ts), each written atomically by core, and the newest one that loads.
// Not the checkpoint format (core's checkpoint.ts), not what goes into trainer-state.json
// (trainer-state.ts) and not repairs after a crash (run-recovery.ts).

import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint } from '@hyperclone/core';
import { isCheckpointDir, readJsonFile, saveCheckpoint } from '@hyperclone/core';
import { BEST, replaceBest } from './best-link.js';
import { recordPath } from '../run/recorded-path.js';

const STEP_DIR = /^step-(\d+)$/;

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

export interface StoredCheckpoint {
  step: number;
  path: string;
}

export class CheckpointStore {
  readonly dir: string;

  constructor(
    runDir: string,
    private readonly keepLast: number,
  ) {
    this.dir = join(runDir, 'checkpoints');
  }

  /** Where step N's checkpoint goes. */
  pathOf(step: number): string {
    return join(this.dir, stepDirName(step));
  }

  /** Saves checkpoints/step-N atomically, then removes all but the newest keepLast step checkpoints. */
  async save(step: number, ckpt: Checkpoint): Promise<string> {
    const path = this.pathOf(step);
    await saveCheckpoint(path, ckpt);
    await this.prune();
    return path;
  }

  /** Saves the new best (a complete best-N directory) and points checkpoints/best at it in one rename. */
  async saveBest(step: number, ckpt: Checkpoint): Promise<string> {
    await replaceBest(this.dir, step, (path) => saveCheckpoint(path, ckpt));
    return join(this.dir, BEST);
  }

  /** `path` as a file inside any of these checkpoints records it: relative to the checkpoint (all sit in checkpoints/). */
  recordPath(path: string): string {
    return recordPath(join(this.dir, BEST), path);
  }

  /** Step checkpoints on disk, oldest first. */
  async steps(): Promise<StoredCheckpoint[]> {
    if (!existsSync(this.dir)) return [];
    const names = await readdir(this.dir);
    return names
      .map((name) => ({ match: STEP_DIR.exec(name), path: join(this.dir, name) }))
      .filter((e): e is { match: RegExpExecArray; path: string } => e.match !== null && isCheckpointDir(e.path))
      .map((e) => ({ step: Number(e.match[1]), path: e.path }))
      .sort((a, b) => a.step - b.step);
  }

  /** Every checkpoint to resume from, newest first: step checkpoints and best (after a step checkpoint of the same step). */
  async candidates(): Promise<StoredCheckpoint[]> {
    const all = (await this.steps()).reverse();
    const best = join(this.dir, BEST);
    const bestStep = isCheckpointDir(best) ? stepOf(best) : null;
    if (bestStep !== null) all.push({ step: bestStep, path: best });
    return all.sort((a, b) => b.step - a.step); // stable: a step checkpoint stays before best at the same step
  }

  /** The newest checkpoint (step-N, or best when it is newer), or null when the run has none. */
  async latest(): Promise<StoredCheckpoint | null> {
    return (await this.candidates())[0] ?? null;
  }

  /**
   * The newest checkpoint that `load` accepts, with what it loaded; null when there is none at all.
   * Each newer one refused is reported through `warn`; when every one is refused, the error lists them.
   */
  async newestUsable<T>(
    load: (c: StoredCheckpoint) => Promise<T>,
    warn: (message: string) => void,
    what: string,
  ): Promise<{ checkpoint: StoredCheckpoint; value: T } | null> {
    const candidates = await this.candidates();
    if (candidates.length === 0) return null;
    const refused: string[] = [];
    for (const c of candidates) {
      try {
        const value = await load(c);
        for (const r of refused) warn(`checkpoint ${r}; resuming from the newest valid one, ${c.path} (step ${c.step})`);
        return { checkpoint: c, value };
      } catch (e) {
        refused.push(`${c.path} is unusable (${(e as Error).message})`);
      }
    }
    throw new Error(`cannot resume ${what}: no checkpoint is usable: ${refused.map((r) => r.replace(' is unusable', '')).join('; ')}`);
  }

  private async prune(): Promise<void> {
    const all = await this.steps();
    for (const old of all.slice(0, Math.max(0, all.length - this.keepLast))) await rm(old.path, { recursive: true, force: true });
  }
}

/** The step recorded in a checkpoint's trainer-state.json, or null when it has none. */
export function stepOf(dir: string): number | null {
  try {
    const state = readJsonFile<{ step?: unknown }>(join(dir, 'trainer-state.json'));
    return Number.isInteger(state.step) ? (state.step as number) : null;
  } catch {
    return null;
  }
}
