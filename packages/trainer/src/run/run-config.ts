// The resolved run config (config.json): every option with its default filled in from the model
// and the data. Which options it records, and how, is the option table's (option-table.ts).
// Not validation of raw options (options.ts), the resume rules (resume-rules.ts) or the loop.

import { resolve } from 'node:path';
import type { Backend, CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken } from '@hyperclone/core';
import { isBuiltinTask } from '../evaluation/builtin-tasks.js';
import { growthOfClone, type GrowthSpec } from '@hyperclone/init';
import { planStages, type RunStage } from '../model/grow-stages.js';
import type { Recorded } from '../options/option-kinds.js';
import { TRAIN_OPTIONS } from '../options/option-table.js';
import type { ParsedTrainOptions } from '../options/options.js';
import type { Precision } from '../accounting/peaks.js';
import { enginePrecision } from '../accounting/peaks.js';

export const RUN_FORMAT = 'hyperclone-run';
export const RUN_VERSION = 1;

export interface DatasetInfo {
  tokenizer: string;
  /** sha256 of the dataset's tokenizer.json (null for byte and gpt2; absent in runs made before it was recorded). */
  tokenizerSha256?: string | null;
  vocabSize: number;
  eotId: number;
  trainTokens: number;
  valTokens: number;
}

type Table = typeof TRAIN_OPTIONS;
type KeysRecorded<R extends Recorded> = { [K in keyof Table]: Table[K]['recorded'] extends R ? K : never }[keyof Table];
/** Options config.json records as given (default filled in; null where absent and without one). */
export type CopiedKey = KeysRecorded<'copy'>;
/** Options resolveRunConfig computes from the model, the data or other options. */
export type DerivedKey = KeysRecorded<'derived'>;
type Copied = { [K in CopiedKey]: Exclude<ParsedTrainOptions[K], undefined> | (undefined extends ParsedTrainOptions[K] ? null : never) };

/** config.json: the run's every option, resolved. Copied options come from the table; the rest are here. */
export interface RunConfig extends Copied {
  format: typeof RUN_FORMAT;
  version: number;
  /** The dataset directory (absolute in memory; config.json records it relative to the run). */
  data: string;
  dataset: DatasetInfo;
  /** The run directory (absolute in memory; '.' in config.json). */
  out: string;
  /** The initializer: its kind, its origin record, and for a grown model its clone record and GrowthSpec (what a restart remakes it from). */
  init: { kind: string; origin: Record<string, unknown>; clone: CloneInfo | null; growth: GrowthSpec | null };
  model: ModelConfig;
  params: number;
  /** device.count counts every rank's devices (world size x devices per rank). */
  backend: { name: string; engine: string; device: { kind: string; name: string; count: number } };
  /** Processes that train the run together (data parallel); 1 for one process. Not fixed across resumes. */
  worldSize: number;
  seqLen: number;
  gradAccum: number;
  tokensPerStep: number;
  minLr: number;
  /** Warmup steps in effect (rewarmup for a cloned model when given). */
  warmup: number;
  evalEvery: number;
  evalBatchSize: number;
  /** Task files (absolute in memory; relative to the run in config.json). */
  tasks: string[];
  precision: Precision;
  /** Of the first stage's model (see stages). */
  flopsPerToken: number;
  /** The model of each growth stage (`growAt`), from step 0; one stage for a run that does not grow. */
  stages: RunStage[];
}

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
  const worldSize = o.distributed?.worldSize ?? 1;
  if (o.batchSize % worldSize !== 0) {
    throw new Error(
      `batchSize ${o.batchSize} (the global micro-batch) does not divide among ${worldSize} processes; use a multiple of ${worldSize} (each process trains batchSize / ${worldSize} rows)`,
    );
  }
  const cloned = initKind === 'hyperclone' || clone !== null;
  const derived: Pick<RunConfig, DerivedKey> = {
    data: resolve(o.data),
    out: resolve(o.out),
    backend: { name: backend.name, engine: backend.engine, device: { ...backend.device, count: backend.device.count * worldSize } },
    seqLen,
    gradAccum,
    minLr: o.minLr ?? o.lr / 10,
    warmup: (cloned ? o.rewarmup : undefined) ?? o.warmup ?? Math.min(1000, Math.floor(o.steps / 20)),
    evalEvery: o.evalEvery ?? Math.max(1, Math.round(o.steps / 10)),
    evalBatchSize: o.evalBatchSize ?? o.batchSize,
    tasks: o.tasks.map((t) => (isBuiltinTask(t) ? t : resolve(t))),
    precision: o.precision ?? enginePrecision(backend.engine),
  };
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    dataset,
    init: { kind: initKind, origin, clone, growth: clone ? growthOfClone(clone) : null },
    model,
    params: countParams(model),
    worldSize,
    ...recordedOptions(o, derived),
    tokensPerStep: o.batchSize * seqLen * gradAccum,
    flopsPerToken: trainFlopsPerToken(model, seqLen),
    stages: planStages(model, o.growAt, { seed: o.seed, steps: o.steps, seqLen, warmup: derived.warmup }),
  };
}

/** Every recorded option in the table's order: derived ones as computed, copied ones as given (null when absent). */
function recordedOptions(o: ParsedTrainOptions, derived: Pick<RunConfig, DerivedKey>): Copied & Pick<RunConfig, DerivedKey> {
  const out: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(TRAIN_OPTIONS)) {
    if (row.recorded === 'derived') out[key] = derived[key as DerivedKey];
    else if (row.recorded === 'copy') out[key] = o[key as CopiedKey] ?? null;
  }
  return out as Copied & Pick<RunConfig, DerivedKey>;
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
