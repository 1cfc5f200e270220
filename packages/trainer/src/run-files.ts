// The run directory's files besides checkpoints: config.json, metrics.jsonl, eval.jsonl and
// summary.json (train.log belongs to the CLI). Not what goes into the rows (events.ts, summary.ts).

import { existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hyperclone/core';
import type { EvalEvent, StepEvent } from './events.js';
import type { RunConfig } from './run-config.js';
import { RUN_FORMAT, RUN_VERSION } from './run-config.js';
import { readPath, recordPath } from './recorded-path.js';
import type { Summary } from './summary.js';

export class RunFiles {
  constructor(readonly runDir: string) {}

  get configPath(): string {
    return join(this.runDir, 'config.json');
  }

  /** A fresh run needs an absent or empty directory; an earlier run's files are never overwritten. */
  checkFresh(): void {
    if (!existsSync(this.runDir)) return;
    if (existsSync(this.configPath)) {
      throw new Error(`${this.runDir} already holds a run; resume it (resume: true, or --resume) or choose another output directory`);
    }
    if (readdirSync(this.runDir).length > 0)
      throw new Error(`output directory ${this.runDir} is not empty; choose a new or empty directory`);
  }

  async readConfig(): Promise<RunConfig> {
    if (!existsSync(this.configPath)) throw new Error(`cannot resume: ${this.runDir} has no config.json (no run was started there)`);
    const config = JSON.parse(await readFile(this.configPath, 'utf8')) as RunConfig;
    if (config.format !== RUN_FORMAT || config.version !== RUN_VERSION) {
      throw new Error(
        `${this.configPath} is not a hyperclone run config (format ${JSON.stringify(config.format)}, version ${config.version})`,
      );
    }
    return this.withPaths(config, (p) => readPath(this.runDir, p));
  }

  /** config.json records data, out and tasks relative to the run directory (absolute in memory). */
  async writeConfig(config: RunConfig): Promise<void> {
    await mkdir(this.runDir, { recursive: true });
    const recorded = this.withPaths(config, (p) => recordPath(this.runDir, p));
    await writeFileAtomic(this.configPath, JSON.stringify(recorded, null, 2) + '\n');
  }

  private withPaths(config: RunConfig, map: (path: string) => string): RunConfig {
    return { ...config, data: map(config.data), out: map(config.out), tasks: config.tasks.map(map) };
  }

  async appendMetrics(row: StepEvent): Promise<void> {
    await appendFile(join(this.runDir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
  }

  async appendEval(row: EvalEvent): Promise<void> {
    await appendFile(join(this.runDir, 'eval.jsonl'), JSON.stringify(row) + '\n');
  }

  async writeSummary(summary: Summary): Promise<void> {
    await writeFileAtomic(join(this.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }

  /** On resume: drops log rows after the checkpoint's step (written before a crash), so logs match the weights. */
  async truncateAfter(step: number): Promise<void> {
    for (const name of ['metrics.jsonl', 'eval.jsonl']) {
      const path = join(this.runDir, name);
      if (!existsSync(path)) continue;
      const kept = (await readFile(path, 'utf8'))
        .split('\n')
        .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= step);
      await writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
    }
  }
}
