// The resolved run config (config.json): every option with its default filled in from the model
// and the data, and the fingerprint of the fields a resumed run must not change.
// Not validation of raw options (options.ts) and not the loop.

import { resolve } from 'node:path';
import type { Backend, CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken } from '@hyperclone/core';
import type { ParsedTrainOptions, Target } from './options.js';
import type { Precision } from './peaks.js';
import { enginePrecision } from './peaks.js';
import type { ScheduleKind } from './schedule.js';

export const RUN_FORMAT = 'hyperclone-run';
export const RUN_VERSION = 1;

export interface DatasetInfo {
  tokenizer: string;
  vocabSize: number;
  eotId: number;
  trainTokens: number;
  valTokens: number;
}

export interface RunConfig {
  format: typeof RUN_FORMAT;
  version: number;
  data: string;
  dataset: DatasetInfo;
  out: string;
  init: { kind: string; origin: Record<string, unknown>; clone: CloneInfo | null };
  model: ModelConfig;
  params: number;
  backend: { name: string; engine: string; device: { kind: string; name: string; count: number } };
  steps: number;
  batchSize: number;
  seqLen: number;
  gradAccum: number;
  tokensPerStep: number;
  lr: number;
  minLr: number;
  /** Warmup steps in effect (rewarmup for a cloned model when given). */
  warmup: number;
  schedule: ScheduleKind;
  decayFraction: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  gradClip: number;
  seed: number;
  /** How training windows are drawn: 'random' (with replacement) or 'epoch' (shuffled passes). */
  sampler: 'random' | 'epoch';
  evalEvery: number;
  evalWindows: number;
  evalBatchSize: number;
  evalSeed: number;
  /** Evaluate the initial weights too (step 0), e.g. to see a clone start at its source's loss. */
  evalAtStart: boolean;
  tasks: string[];
  taskLimit: number | null;
  logEvery: number;
  checkpointEvery: number;
  keepLast: number;
  keepBest: boolean;
  stopAfter: number | null;
  target: Target | null;
  stopAtTarget: boolean;
  precision: Precision;
  flopsPerToken: number;
}

/** Fields that fix the loss trajectory: a resumed run must match them exactly. */
export const TRAJECTORY_FIELDS = [
  'data',
  'model',
  'steps',
  'batchSize',
  'seqLen',
  'gradAccum',
  'lr',
  'minLr',
  'warmup',
  'schedule',
  'decayFraction',
  'weightDecay',
  'beta1',
  'beta2',
  'eps',
  'gradClip',
  'seed',
] as const satisfies readonly (keyof RunConfig)[];

export interface ResolveInputs {
  options: ParsedTrainOptions;
  backend: Backend;
  initKind: string;
  origin: Record<string, unknown>;
  clone: CloneInfo | null;
  model: ModelConfig;
  dataset: DatasetInfo;
}

export function resolveRunConfig({ options: o, backend, initKind, origin, clone, model, dataset }: ResolveInputs): RunConfig {
  const seqLen = o.seqLen ?? model.contextLength;
  if (seqLen > model.contextLength)
    throw new Error(`seqLen ${seqLen} exceeds the model's context length ${model.contextLength}; lower seqLen`);
  if (model.vocabSize < dataset.vocabSize) {
    throw new Error(
      `the model's vocabulary (${model.vocabSize}) is smaller than the dataset's (${dataset.vocabSize}); initialize with vocabSize ${dataset.vocabSize} (randomInit(preset, { vocabSize }))`,
    );
  }
  const gradAccum = resolveGradAccum(o.batchSize, seqLen, o.gradAccum, o.batchTokens);
  const cloned = initKind === 'hyperclone' || clone !== null;
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    data: resolve(o.data),
    dataset,
    out: resolve(o.out),
    init: { kind: initKind, origin, clone },
    model,
    params: countParams(model),
    backend: { name: backend.name, engine: backend.engine, device: { ...backend.device } },
    steps: o.steps,
    batchSize: o.batchSize,
    seqLen,
    gradAccum,
    tokensPerStep: o.batchSize * seqLen * gradAccum,
    lr: o.lr,
    minLr: o.minLr ?? o.lr / 10,
    warmup: (cloned ? o.rewarmup : undefined) ?? o.warmup ?? Math.min(1000, Math.floor(o.steps / 20)),
    schedule: o.schedule,
    decayFraction: o.decayFraction,
    weightDecay: o.weightDecay,
    beta1: o.beta1,
    beta2: o.beta2,
    eps: o.eps,
    gradClip: o.gradClip,
    seed: o.seed,
    sampler: o.sampler,
    evalEvery: o.evalEvery ?? Math.max(1, Math.round(o.steps / 10)),
    evalWindows: o.evalWindows,
    evalBatchSize: o.evalBatchSize ?? o.batchSize,
    evalSeed: o.evalSeed,
    evalAtStart: o.evalAtStart,
    tasks: o.tasks.map((t) => resolve(t)),
    taskLimit: o.taskLimit ?? null,
    logEvery: o.logEvery,
    checkpointEvery: o.checkpointEvery,
    keepLast: o.keepLast,
    keepBest: o.keepBest,
    stopAfter: o.stopAfter ?? null,
    target: o.target ?? null,
    stopAtTarget: o.stopAtTarget,
    precision: o.precision ?? enginePrecision(backend.engine),
    flopsPerToken: trainFlopsPerToken(model, seqLen),
  };
}

function resolveGradAccum(batchSize: number, seqLen: number, gradAccum: number | undefined, batchTokens: number | undefined): number {
  if (batchTokens === undefined) return gradAccum ?? 1;
  const micro = batchSize * seqLen;
  const derived = batchTokens / micro;
  if (!Number.isInteger(derived) || derived < 1) {
    throw new Error(
      `batchTokens ${batchTokens} is not a whole number of micro-batches of batchSize·seqLen = ${micro} tokens; choose a multiple of ${micro}`,
    );
  }
  if (gradAccum !== undefined && gradAccum !== derived) {
    throw new Error(
      `gradAccum ${gradAccum} disagrees with batchTokens ${batchTokens} (which needs gradAccum ${derived}); give one of them`,
    );
  }
  return derived;
}

/** Names the trajectory fields that differ between a saved run config and a new one (empty: compatible). */
export function trajectoryMismatch(saved: RunConfig, next: RunConfig): string[] {
  return TRAJECTORY_FIELDS.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(next[k])).map(
    (k) => `${k} (saved ${short(saved[k])}, now ${short(next[k])})`,
  );
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
