// The run's checkpoints/ folder: step-NNNNNNNN checkpoints (the last K kept) and `best` (lowest
// validation loss), each written atomically by core. Not the checkpoint format (core's checkpoint.ts)
// and not what goes into trainer-state.json (trainer-state.ts).

import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint } from '@hyperclone/core';
import { isCheckpointDir, saveCheckpoint } from '@hyperclone/core';
import { recordPath } from './recorded-path.js';

const STEP_DIR = /^step-(\d+)$/;

export function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
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

  /** Saves checkpoints/best atomically (replacing the previous best); it is not counted in keepLast. */
  async saveBest(ckpt: Checkpoint): Promise<string> {
    const path = join(this.dir, 'best');
    await saveCheckpoint(path, ckpt);
    return path;
  }

  /** `path` as a file inside any of these checkpoints records it: relative to the checkpoint (all sit in checkpoints/). */
  recordPath(path: string): string {
    return recordPath(join(this.dir, 'best'), path);
  }

  /** Step checkpoints on disk, oldest first. */
  async steps(): Promise<{ step: number; path: string }[]> {
    if (!existsSync(this.dir)) return [];
    const names = await readdir(this.dir);
    return names
      .map((name) => ({ match: STEP_DIR.exec(name), path: join(this.dir, name) }))
      .filter((e): e is { match: RegExpExecArray; path: string } => e.match !== null && isCheckpointDir(e.path))
      .map((e) => ({ step: Number(e.match[1]), path: e.path }))
      .sort((a, b) => a.step - b.step);
  }

  /** The newest checkpoint (step-N, or best when it is newer), or null when the run has none. */
  async latest(): Promise<{ step: number; path: string } | null> {
    const newest = (await this.steps()).at(-1) ?? null;
    const best = join(this.dir, 'best');
    if (!isCheckpointDir(best)) return newest;
    const bestStep = await stepOf(best);
    return bestStep !== null && (newest === null || bestStep > newest.step) ? { step: bestStep, path: best } : newest;
  }

  private async prune(): Promise<void> {
    const all = await this.steps();
    for (const old of all.slice(0, Math.max(0, all.length - this.keepLast))) await rm(old.path, { recursive: true, force: true });
  }
}

/** The step recorded in a checkpoint's trainer-state.json, or null when it has none. */
async function stepOf(dir: string): Promise<number | null> {
  try {
    const state = JSON.parse(await readFile(join(dir, 'trainer-state.json'), 'utf8')) as { step?: unknown };
    return Number.isInteger(state.step) ? (state.step as number) : null;
  } catch {
    return null;
  }
}
