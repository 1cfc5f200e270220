// The run's checkpoints/ folder: step-NNNNNNNN checkpoints (the last K kept) and `best` (lowest
// validation loss), each written atomically by core. Not the checkpoint format (core's checkpoint.ts)
// and not what goes into trainer-state.json (trainer-state.ts).

import { existsSync } from 'node:fs';
import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint } from '@hyperclone/core';
import { isCheckpointDir, saveCheckpoint, writeDirAtomic } from '@hyperclone/core';

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

  /** Saves checkpoints/step-N atomically, then removes all but the newest keepLast step checkpoints. */
  async save(step: number, ckpt: Checkpoint): Promise<string> {
    const path = join(this.dir, stepDirName(step));
    await saveCheckpoint(path, ckpt);
    await this.prune();
    return path;
  }

  /** Copies a saved checkpoint to checkpoints/best (atomically replacing the previous best). */
  async saveBest(from: string): Promise<string> {
    const path = join(this.dir, 'best');
    await writeDirAtomic(path, async (tmp) => {
      await cp(from, tmp, { recursive: true });
    });
    return path;
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

  /** The newest step checkpoint, or null when the run has none. */
  async latest(): Promise<{ step: number; path: string } | null> {
    return (await this.steps()).at(-1) ?? null;
  }

  private async prune(): Promise<void> {
    const all = await this.steps();
    for (const old of all.slice(0, Math.max(0, all.length - this.keepLast))) await rm(old.path, { recursive: true, force: true });
  }
}
