// Shared test fixtures: the byte datasets the runs train on (Tiny Shakespeare, or a quarter of the built-in
// stories, prepared once per test file into a temp folder), a fresh temp directory per run, a tfjs backend
// and dataset opened for a test file's runs, a JSONL reader, and a stand-in backend for the option checks
// that train nothing. Not a test file.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { prepareDataset } from '@hyperclone/data';
import type { TrainOptions } from '../src/index.js';

export function tempDir(prefix = 'hc-trainer-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Tiny Shakespeare (`builtin:shakespeare`) as a byte-level token dataset (1.0M train, 0.11M val tokens). */
export async function shakespeareDataset(): Promise<string> {
  const out = join(tempDir('hc-data-'), 'ts');
  await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out });
  return out;
}

/** A quarter of the built-in stories (`builtin:stories:0.25`) as a byte-level token dataset. */
export async function storiesDataset(): Promise<string> {
  const out = join(tempDir('hc-data-'), 'stories');
  await prepareDataset({ inputs: ['builtin:stories:0.25'], tokenizer: 'byte', out });
  return out;
}

/** A test file's runs: one tfjs backend and one prepared dataset for all of them. */
export interface TfjsRuns {
  readonly backend: Backend;
  readonly data: string;
  /** trainFrom's options for a run into `out` on this backend and dataset (MFU against 1e10 FLOP/s), then `settings`. */
  options(out: string, settings: Partial<TrainOptions>): TrainOptions;
}

/**
 * Opens a tfjs backend and prepares `dataset` before the test file's tests (within `timeoutMs` where given,
 * else the configured hook timeout), and closes the backend after them.
 */
export function tfjsRuns(dataset: () => Promise<string> = shakespeareDataset, timeoutMs?: number): TfjsRuns {
  let backend: Backend | undefined;
  let data: string | undefined;
  beforeAll(async () => {
    backend = await createTfjsBackend();
    data = await dataset();
  }, timeoutMs);
  afterAll(() => backend?.close());
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('tfjsRuns: the backend and dataset are opened in beforeAll, before the tests');
    return value;
  };
  return {
    get backend() {
      return opened(backend);
    },
    get data() {
      return opened(data);
    },
    options(out, settings) {
      return { data: opened(data), out, backend: opened(backend), peakFlopsPerSec: 1e10, ...settings };
    },
  };
}

/** The rows of a JSONL file (metrics.jsonl, eval.jsonl); an empty file is an error. */
export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

/** Enough of a Backend for parseTrainOptions and resolveRunConfig, which only look at it: it trains nothing. */
export const fakeBackend = {
  name: 'fake',
  engine: 'fake-engine',
  device: { kind: 'cpu', name: 'test', count: 1 },
  valueAndGrad() {},
  matmul() {},
} as unknown as Backend;

/** A byte dataset's description as resolveRunConfig reads it (the files are never opened). */
export const fakeDataset = { tokenizer: 'byte', vocabSize: 257, eotId: 256, trainTokens: 1000, valTokens: 100 };
