// The benchmark's folder (--out): whether it may be written (new, empty, or a benchmark of the same
// run-shaping options, which continues) and its bench.json (those options, and whether the last call
// finished). Not the training or the reuse of finished runs (compare.ts) and not the numbers (analyze.ts).

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '@hyperclone/core';

export const BENCH_FILE = 'bench.json';
const FORMAT = 'hyperclone-bench-options';

/** bench.json: the options that shape the benchmark's runs, and whether every run of the last call finished. */
export interface BenchRecord {
  format: typeof FORMAT;
  version: 1;
  options: Record<string, unknown>;
  finished: boolean;
}

/**
 * 'fresh' for an absent or empty folder; 'resume' for a benchmark of the same run-shaping options (its
 * finished runs are reused, the others resume or start) or one made before bench.json existed (a
 * summary.json of format hyperclone-bench: its runs check their own settings). Anything else (a training
 * run, other files, a benchmark of other options) is refused untouched.
 */
export function openBenchFolder(out: string, options: Record<string, unknown>): 'fresh' | 'resume' {
  if (!existsSync(out) || readdirSync(out).length === 0) return 'fresh';
  const file = join(out, BENCH_FILE);
  if (!existsSync(file)) {
    if (isOlderBench(out)) return 'resume';
    throw new Error(`${out} is not empty and holds no benchmark (no ${BENCH_FILE}); choose a new or empty folder`);
  }
  const saved = readJsonFile<BenchRecord>(file);
  if (saved.format !== FORMAT) throw new Error(`${file} is not a benchmark's options file (format ${JSON.stringify(saved.format)})`);
  const differ = differences(saved.options, options);
  if (differ.length)
    throw new Error(`${out} holds a benchmark of other options: ${differ.join('; ')}; give the same options or choose a new folder`);
  return 'resume';
}

function isOlderBench(out: string): boolean {
  const summary = join(out, 'summary.json');
  if (!existsSync(summary) || !existsSync(join(out, 'runs'))) return false;
  try {
    return readJsonFile<{ format?: unknown }>(summary).format === 'hyperclone-bench';
  } catch {
    return false;
  }
}

export async function writeBenchRecord(out: string, options: Record<string, unknown>, finished: boolean): Promise<void> {
  const record: BenchRecord = { format: FORMAT, version: 1, options, finished };
  await writeFileAtomic(join(out, BENCH_FILE), JSON.stringify(record, null, 2) + '\n');
}

function differences(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])];
  return keys
    .filter((k) => JSON.stringify(saved[k] ?? null) !== JSON.stringify(now[k] ?? null))
    .map((k) => `${k} (saved ${JSON.stringify(saved[k] ?? null)}, now ${JSON.stringify(now[k] ?? null)})`);
}
