// The fixed-seed loss trace: a few short runs whose every step's loss and gradient norm are recorded
// in loss-trace.json, so that a refactor which must not change numbers is checked against the record.
// Not a test (loss-trace.test.ts compares) and not the generator (generate.ts writes the record).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, Initializer } from '@hyperclone/core';
import { hyperclone, randomInit } from '@hyperclone/init';
import { trainFrom, type StepEvent, type TrainOptions } from '../../src/index.js';

export const TRACE_FILE = join(import.meta.dirname, 'loss-trace.json');

/** One recorded step: the loss and the pre-clip global gradient norm, as the trainer logged them. */
export interface TraceStep {
  step: number;
  loss: number;
  gradNorm: number;
}

/** The record: per backend engine (e.g. "tfjs-wasm", "libtorch 1.13.0 (cpu, 1 threads)"), per case. */
export interface TraceRecord {
  format: 'hyperclone-loss-trace';
  version: 1;
  engines: Record<string, Record<string, TraceStep[]>>;
}

export interface TraceCase {
  name: string;
  init: () => Initializer;
  options: Partial<TrainOptions>;
}

/** Byte-level Tiny Shakespeare, dropout on, two micro-batches a step: every part of the step runs. */
const common: Partial<TrainOptions> = {
  batchSize: 2,
  seqLen: 32,
  gradAccum: 2,
  lr: 3e-3,
  warmup: 3,
  dropout: 0.1,
  evalEvery: 10,
  evalWindows: 4,
  checkpointEvery: 5,
  seed: 7,
  peakFlopsPerSec: 1e10,
};

export const TRACE_CASES: readonly TraceCase[] = [
  { name: 'tiny', init: () => randomInit('tiny', { seed: 5 }), options: { ...common, steps: 20 } },
  { name: 'tiny-llama', init: () => randomInit('tiny-llama', { seed: 5 }), options: { ...common, steps: 20 } },
  {
    name: 'tiny-clone-2x-noisy-symmetric',
    init: () => hyperclone(randomInit('tiny', { seed: 5 }), { width: 2, variant: 'noisy-symmetric', seed: 3 }),
    options: { ...common, steps: 10 },
  },
];

export function traceOptions(c: TraceCase, data: string, out: string, backend: Backend, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { ...c.options, ...extra, data, out, backend };
}

/** Runs one case and returns its step rows. */
export async function runTraceCase(
  c: TraceCase,
  data: string,
  out: string,
  backend: Backend,
  extra: Partial<TrainOptions> = {},
): Promise<TraceStep[]> {
  await trainFrom(c.init(), traceOptions(c, data, out, backend, extra));
  return readTrace(out);
}

export function readTrace(runDir: string): TraceStep[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as StepEvent)
    .map(({ step, loss, gradNorm }) => ({ step, loss, gradNorm }));
}

export function readRecord(): TraceRecord {
  return JSON.parse(readFileSync(TRACE_FILE, 'utf8')) as TraceRecord;
}

/** float32's unit in the last place at |x| (the spacing of float32 numbers there): 2^(floor(log2|x|) - 23). */
export function ulp32(x: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23);
}

/** How far a trace lies from the record, in float32 ulps of the recorded values: the largest over the steps. */
export function ulpDistance(actual: readonly TraceStep[], expected: readonly TraceStep[]): { loss: number; gradNorm: number } {
  if (actual.length !== expected.length || actual.some((s, i) => s.step !== expected[i]!.step)) {
    throw new Error(`the trace has steps ${actual.map((s) => s.step).join(',')}, the record ${expected.map((s) => s.step).join(',')}`);
  }
  const worst = (key: 'loss' | 'gradNorm'): number =>
    Math.max(...actual.map((s, i) => Math.abs(s[key] - expected[i]![key]) / ulp32(expected[i]![key])));
  return { loss: worst('loss'), gradNorm: worst('gradNorm') };
}
