// The run directory's files besides checkpoints: config.json, metrics.jsonl, eval.jsonl and
// summary.json (train.log belongs to the CLI). Not what goes into the rows (events.ts, summary.ts).

import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { outputPathError, readJsonFile, readJsonl, writeFileAtomic } from '@hyperclone/core';
import { isBuiltinTask } from '../evaluation/builtin-tasks.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { EvalEvent, StepEvent } from '../metrics/events.js';
import type { RunConfig } from './run-config.js';
import { RUN_FORMAT, RUN_VERSION } from './run-config.js';
import { readPath, recordPath } from './recorded-path.js';
import type { Summary } from '../metrics/summary.js';

export class RunFiles {
  constructor(readonly runDir: string) {}

  get configPath(): string {
    return join(this.runDir, 'config.json');
  }

  /**
   * A fresh run needs an absent or empty directory, or one holding a run that stopped before its first
   * checkpoint ('restart': nothing there to lose but its logs); an earlier run's checkpoints are never overwritten.
   */
  async checkFresh(store: CheckpointStore): Promise<'new' | 'restart'> {
    if (!existsSync(this.runDir)) return 'new';
    if (existsSync(this.configPath)) {
      if ((await store.candidates()).length === 0) return 'restart';
      throw new Error(`${this.runDir} already holds a run; resume it (resume: true, or --resume) or choose another output directory`);
    }
    if (readdirSync(this.runDir).length > 0)
      throw new Error(`output directory ${this.runDir} is not empty; choose a new or empty directory`);
    return 'new';
  }

  async readConfig(): Promise<RunConfig> {
    if (!existsSync(this.configPath)) throw new Error(`cannot resume: ${this.runDir} has no config.json (no run was started there)`);
    const config = readJsonFile<RunConfig>(this.configPath);
    if (config.format !== RUN_FORMAT || config.version !== RUN_VERSION) {
      throw new Error(
        `${this.configPath} is not a hyperclone run config (format ${JSON.stringify(config.format)}, version ${config.version})`,
      );
    }
    return this.withPaths(config, (p) => readPath(this.runDir, p));
  }

  /** config.json records data, out and task files relative to the run directory (absolute in memory); built-in tasks by name. */
  async writeConfig(config: RunConfig): Promise<void> {
    await mkdir(this.runDir, { recursive: true });
    const recorded = this.withPaths(config, (p) => recordPath(this.runDir, p));
    await writeFileAtomic(this.configPath, JSON.stringify(recorded, null, 2) + '\n');
  }

  private withPaths(config: RunConfig, map: (path: string) => string): RunConfig {
    return { ...config, data: map(config.data), out: map(config.out), tasks: config.tasks.map((t) => (isBuiltinTask(t) ? t : map(t))) };
  }

  async appendMetrics(row: StepEvent): Promise<void> {
    this.append('metrics.jsonl', JSON.stringify(row) + '\n');
  }

  async appendEval(row: EvalEvent): Promise<void> {
    this.append('eval.jsonl', JSON.stringify(row) + '\n');
  }

  /**
   * One row, written before this returns. Synchronous on purpose: the step itself runs on this thread, and
   * the async appendFile's open, write and close each wait for a libuv pool thread, and the loop idles
   * for all three on every logged step (the default logs every step).
   */
  private append(name: string, line: string): void {
    const path = join(this.runDir, name);
    try {
      appendFileSync(path, line);
    } catch (e) {
      throw outputPathError(e, path, path, { bytes: Buffer.byteLength(line), of: 'the row' });
    }
  }

  async writeSummary(summary: Summary): Promise<void> {
    await writeFileAtomic(join(this.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }

  /**
   * On resume: drops log rows after the checkpoint's step (written before a crash), so logs match the
   * weights; a torn last line (a crash mid-write) is dropped, with a warning through `onTorn`.
   */
  async truncateAfter(step: number, onTorn: (message: string) => void): Promise<void> {
    for (const name of ['metrics.jsonl', 'eval.jsonl']) {
      const path = join(this.runDir, name);
      if (!existsSync(path)) continue;
      const kept = readJsonl<{ step: number }>(path, onTorn).filter((row) => row.step <= step);
      await writeFileAtomic(path, kept.map((row) => JSON.stringify(row) + '\n').join(''));
    }
  }

  /** Reads both logs, so a bad line is refused (naming file and line) before anything is written. */
  checkLogs(): void {
    for (const name of ['metrics.jsonl', 'eval.jsonl']) {
      const path = join(this.runDir, name);
      if (existsSync(path)) readJsonl(path);
    }
  }

  /** A run restarted in place (it had no checkpoint): its old logs and summary go. */
  async startOver(): Promise<void> {
    for (const name of ['metrics.jsonl', 'eval.jsonl', 'summary.json']) await rm(join(this.runDir, name), { force: true });
  }
}
