// Test helpers for `hyperclone train` runs: Tiny Shakespeare prepared for a test file, the torch run the
// distributed tests start from, and what a run leaves (its loss trace, its newest checkpoint). Not a test itself.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '@hyperclone/data';
import { beforeAll, expect } from 'vitest';
import type { Child } from './run-cli.js';

/** Tiny Shakespeare (`builtin:shakespeare`) as a byte dataset at `root`/ts, prepared before the file's tests: its path. */
export function shakespeareData(root: string): string {
  const data = join(root, 'ts');
  beforeAll(async () => {
    await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out: data });
  });
  return data;
}

/**
 * `hyperclone train` of tiny on `data` with the torch backend, 1 thread a process: 4 x 32 tokens a micro-batch,
 * evaluated every 10 steps on 8 windows, MFU against 0.01 TFLOP/s; `extra` after these (a repeated flag wins).
 */
export const torchTrain = (data: string, out: string, extra: string[]): string[] => [
  'train',
  ...['--data', data, '--out', out, '--model', 'tiny', '--backend', 'torch', '--threads', '1'],
  ...['--batch-size', '4', '--seq-len', '32', '--eval-every', '10', '--eval-windows', '8', '--peak-tflops', '0.01'],
  ...extra,
];

/** Fails with the child's stderr unless it exited 0. */
export function ok(r: Child): void {
  expect(r.code, r.stderr).toBe(0);
}

/** One row of a run's metrics.jsonl, as far as the traces are compared. */
export interface TraceRow {
  step: number;
  loss: number;
  gradNorm: number;
}

/** The rows of a run's metrics.jsonl. */
export function trace(out: string): TraceRow[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TraceRow);
}

/** The run's newest step checkpoint (checkpoints/step-NNNNNNNN, the last by name). */
export function latestCheckpoint(out: string): string {
  const steps = readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('step-'));
  return join(out, 'checkpoints', steps.sort().at(-1)!);
}
