// What `hyperclone watch` reads of a folder: whether it is a training run or a benchmark, and the
// files a run writes as it goes (config.json, metrics.jsonl, eval.jsonl, summary.json, its lock).
// Not how they are drawn (watch-view.ts) or served (watch-server.ts).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lockFileOf, readJsonFile, readJsonl } from '@hyperclone/core';
import { RUN_FORMAT, type EvalEvent, type StepEvent, type Summary } from '@hyperclone/trainer';
import { CliError } from '../command.js';

export type FolderKind = 'run' | 'bench';

export interface WatchedFolder {
  dir: string;
  label: string;
  kind: FolderKind;
}

export interface RunState {
  label: string;
  /** The curve's group: the run's label, or a benchmark's arm. */
  arm: string;
  seed: number;
  totalSteps: number | null;
  steps: StepEvent[];
  evals: EvalEvent[];
  summary: Summary | null;
  /** A process holds the run's lock (it is training now). */
  live: boolean;
}

export interface BenchState {
  runs: RunState[];
  /** The clone arms' target: given, or the mean of the finished random runs' final accuracy; null before one finished. */
  target: { metric: 'valAcc' | 'valLoss'; value: number } | null;
  finished: boolean;
}

const BENCH_RUN = /^(.+)-seed(\d+)$/;

/** A folder named on the command line, classified; anything else is refused in one line. */
export function openWatchedFolder(dir: string, label: string): WatchedFolder {
  if (!existsSync(dir)) throw new CliError(`${dir} does not exist; give the --out folder of a training run or of a benchmark`);
  if (!statSync(dir).isDirectory())
    throw new CliError(`${dir} is a file, not a folder; give the --out folder of a training run or of a benchmark`);
  if (existsSync(join(dir, 'bench.json'))) return { dir, label, kind: 'bench' };
  const config = join(dir, 'config.json');
  if (existsSync(config) && readJsonFile<{ format?: unknown }>(config).format === RUN_FORMAT) return { dir, label, kind: 'run' };
  throw new CliError(
    `${dir} is neither a training run (no hyperclone config.json) nor a benchmark (no bench.json); give the --out folder of \`hyperclone train\` or \`hyperclone bench\``,
  );
}

/** Everything a run has written so far (a torn last line, mid-append, waits for the next look). */
export function readRun(dir: string, label: string, arm = label, seed?: number): RunState {
  const config = existsSync(join(dir, 'config.json')) ? readJsonFile<{ steps?: number; seed?: number }>(join(dir, 'config.json')) : null;
  return {
    label,
    arm,
    seed: seed ?? config?.seed ?? 0,
    totalSteps: config?.steps ?? null,
    steps: readRows<StepEvent>(join(dir, 'metrics.jsonl')),
    evals: readRows<EvalEvent>(join(dir, 'eval.jsonl')),
    summary: existsSync(join(dir, 'summary.json')) ? readJsonFile<Summary>(join(dir, 'summary.json')) : null,
    live: trainingNow(dir),
  };
}

/** A live process holds the run's lock (a lock left by a killed process on this machine does not count). */
function trainingNow(dir: string): boolean {
  const file = lockFileOf(dir);
  if (!existsSync(file)) return false;
  let holder: { pid?: unknown; host?: unknown };
  try {
    holder = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; host?: unknown };
  } catch {
    return true; // being written by the process taking it
  }
  if (holder.host !== hostname() || typeof holder.pid !== 'number') return true; // another machine's: cannot tell
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRows<T>(path: string): T[] {
  return existsSync(path) ? readJsonl<T>(path, () => {}) : [];
}

/** The benchmark's small model (when it trained one) and every arm's run so far, with the target line. */
export function readBench(dir: string): BenchState {
  const runs: RunState[] = [];
  if (existsSync(join(dir, 'small', 'config.json'))) runs.push(readRun(join(dir, 'small'), 'small'));
  const runsDir = join(dir, 'runs');
  for (const name of existsSync(runsDir) ? readdirSync(runsDir).sort() : []) {
    const match = BENCH_RUN.exec(name);
    if (!match || !existsSync(join(runsDir, name, 'config.json'))) continue;
    runs.push(readRun(join(runsDir, name), name, match[1]!, Number(match[2])));
  }
  const summary = existsSync(join(dir, 'summary.json'))
    ? readJsonFile<{ format?: string; target?: { metric: 'valAcc' | 'valLoss'; perSeed: Record<string, number> } }>(
        join(dir, 'summary.json'),
      )
    : null;
  const finished = readJsonFile<{ finished?: boolean }>(join(dir, 'bench.json')).finished === true;
  return {
    runs,
    target: summary?.format === 'hyperclone-bench' && summary.target ? givenTarget(summary.target) : defaultTarget(runs),
    finished,
  };
}

function givenTarget(t: { metric: 'valAcc' | 'valLoss'; perSeed: Record<string, number> }): BenchState['target'] {
  const values = Object.values(t.perSeed);
  return values.length ? { metric: t.metric, value: values.reduce((a, b) => a + b, 0) / values.length } : null;
}

/** The benchmark's default target while it runs: the random arm's final accuracy, over the seeds that finished. */
function defaultTarget(runs: RunState[]): BenchState['target'] {
  const finals = runs
    .filter((r) => r.arm === 'random' && r.summary?.stopReason === 'completed')
    .map((r) => r.evals.at(-1)?.val.acc)
    .filter((v): v is number => v !== undefined);
  return finals.length ? { metric: 'valAcc', value: finals.reduce((a, b) => a + b, 0) / finals.length } : null;
}

/** What changes when a run writes (the sizes and times of the files read here) or stops: the server redraws only then. */
export function folderSignature(folder: WatchedFolder): string {
  const dirs =
    folder.kind === 'run'
      ? [folder.dir]
      : [
          folder.dir,
          join(folder.dir, 'small'),
          ...(existsSync(join(folder.dir, 'runs')) ? readdirSync(join(folder.dir, 'runs')).map((n) => join(folder.dir, 'runs', n)) : []),
        ];
  const files = ['config.json', 'metrics.jsonl', 'eval.jsonl', 'summary.json', 'bench.json'];
  const stamp = (path: string): string => {
    if (!existsSync(path)) return '-';
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  };
  // a run's process that dies changes no file: whether each run trains now is part of the signature
  return dirs.map((d) => [...files.map((f) => stamp(join(d, f))), trainingNow(d)].join(',')).join(';');
}
