// Step 1 of the benchmark: every input checked before the first training step, as one value the next
// steps read: the dataset's vocabulary, the small model's config, the growth every wide arm shares and the
// wide size it gives (init's planGrowth), the seeds, the arms' names, the training options every run gets,
// and what bench.json and summary.json record. Not the arms (bench-arms.ts) and not the training (bench-runs.ts).

import { existsSync } from 'node:fs';
import type { Initializer, ModelConfig } from '@hyperclone/core';
import { resolveConfig, weightBytes, withVocab } from '@hyperclone/core';
import { openDataset } from '@hyperclone/data';
import { fromCheckpoint, isModelDir, parseGrowthArm, planGrowth, resolveGrowth, type GrowthSpec } from '@hyperclone/init';
import { checkTrainMemory, loadTask, parseTrainOptions, recordPath, type TrainOptions } from '@hyperclone/trainer';
import { DEFAULT_VARIANTS, SHARED_TRAIN_KEYS, type CompareOptions, type SharedTrainOptions } from './bench-options.js';

export interface BenchInputs {
  /** The dataset's vocabulary (a preset small model is made with it). */
  vocabSize: number;
  small: ModelConfig;
  /** What every wide arm grows by (width, ffn, depth, noise, tie); each clone arm adds its variant and modifiers. */
  growth: GrowthSpec;
  /** The wide model every arm trains (the growth's size). */
  wide: ModelConfig;
  seeds: number[];
  /** The clone arms' specs, checked. */
  variants: string[];
  /** Options every training run gets (trainFrom's, without out, steps and seed). */
  common: Omit<TrainOptions, 'out' | 'steps'>;
  /** The settings as summary.json records them (paths relative to the folder). */
  described: Record<string, unknown>;
  /** What bench.json records: every option that shapes the runs already in the folder. */
  record: Record<string, unknown>;
}

export async function readBenchInputs(o: CompareOptions): Promise<BenchInputs> {
  const seeds = Array.from({ length: o.seeds ?? 3 }, (_, i) => i);
  const variants = o.variants ?? (o.stages ? [] : DEFAULT_VARIANTS);
  checkArms(variants, o);
  await Promise.all((o.tasks ?? []).map((task) => loadTask(task))); // a built-in name or a readable JSONL file
  const vocabSize = await datasetVocab(o.data);
  const small = await smallConfig(o.small, vocabSize);
  if (small.vocabSize < vocabSize)
    throw new Error(
      `--small ${o.small} has a vocabulary of ${small.vocabSize}, smaller than the dataset's ${vocabSize}: another tokenizer`,
    );
  const growth = resolveGrowth({
    width: o.width,
    ...(o.ffn !== undefined ? { ffn: o.ffn } : {}),
    ...((o.depth ?? 1) > 1 ? { depth: o.depth! } : {}),
    ...(o.tie !== undefined ? { tie: o.tie } : {}),
  });
  const wide = planGrowth(small, growth).config;
  const seqLen = o.seqLen ?? small.contextLength;
  if (seqLen > small.contextLength)
    throw new Error(`seqLen ${seqLen} exceeds the model's context length ${small.contextLength}; lower seqLen`);
  const common = commonTrainOptions(o);
  // the largest runs must fit before the first step (each trainFrom checks its own again)
  const [smallRun, wideRun] = ['small', 'wide'].map((label) => parseTrainOptions({ ...common, out: `${o.out}/${label}`, steps: o.steps }));
  await checkTrainMemory(planOnly(small, { weights: weightBytes(small) }), smallRun!);
  await checkTrainMemory(planOnly(wide, { source: weightBytes(small), output: weightBytes(wide) }), wideRun!);
  const described = describe(o, variants, seeds.length);
  return { vocabSize, small, growth, wide, seeds, variants, common, described, record: benchRecord(o, described) };
}

/** Throws on the first arm that cannot be read (init's parseGrowthArm), a repeated one, or none at all. */
export function checkArms(variants: readonly string[], o: Pick<CompareOptions, 'depth' | 'stages'>): void {
  if (variants.length === 0 && !o.stages) throw new Error('the benchmark needs at least one clone arm (variants) or a staged arm (stages)');
  const seen = new Set<string>();
  for (const arm of variants) {
    parseGrowthArm(arm, o.depth ?? 1);
    if (seen.has(arm)) throw new Error(`arm "${arm}" is listed twice`);
    seen.add(arm);
  }
}

/** An initializer that only plans: what the memory check reads, before any arm exists. */
function planOnly(config: ModelConfig, load: Record<string, number>): Initializer {
  return {
    kind: 'plan',
    plan: () => Promise.resolve({ config, load }),
    load: () => Promise.reject(new Error('a memory plan has no weights')),
  };
}

async function datasetVocab(dir: string): Promise<number> {
  const dataset = await openDataset(dir);
  try {
    if (dataset.split('val').length === 0) throw new Error(`${dir} has an empty validation split; re-create it with --val-fraction 0.05`);
    return dataset.meta.vocabSize;
  } finally {
    dataset.close();
  }
}

async function smallConfig(small: string, vocabSize: number): Promise<ModelConfig> {
  // a checkpoint of ours, or a Hugging Face model directory as it is
  if (isModelDir(small)) return (await fromCheckpoint(small).plan!()).config; // the config alone, no weights
  if (existsSync(small))
    throw new Error(`--small ${small} is a directory but not a checkpoint (no config.json + model.safetensors, nor a Hugging Face model)`);
  return withVocab(resolveConfig(small), vocabSize);
}

function commonTrainOptions(o: CompareOptions): Omit<TrainOptions, 'out' | 'steps'> {
  const shared: Record<string, unknown> = {};
  for (const key of SHARED_TRAIN_KEYS) if (o[key] !== undefined) shared[key] = o[key];
  return {
    data: o.data,
    backend: o.backend,
    ...(o.distributed ? { distributed: o.distributed } : {}),
    keepBest: false, // the benchmark reads eval.jsonl; a best checkpoint per evaluation is only disk traffic
    ...(shared as SharedTrainOptions),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.trainHooks ?? {}),
  };
}

/** The settings as summary.json records them: paths relative to the benchmark's folder. */
function describe(o: CompareOptions, variants: string[], seeds: number): Record<string, unknown> {
  return {
    data: recordPath(o.out, o.data),
    small: existsSync(o.small) ? recordPath(o.out, o.small) : o.small,
    smallSteps: o.smallSteps ?? o.steps,
    width: o.width,
    ffn: o.ffn ?? o.width,
    depth: o.depth ?? 1,
    variants,
    stages: effectiveStages(o),
    reference: o.reference ?? (variants.includes('noisy-symmetric') ? 'clone:noisy-symmetric' : null),
    seeds,
    steps: o.steps,
    batchSize: o.batchSize ?? null,
    seqLen: o.seqLen ?? null,
    lr: o.lr ?? null,
    warmup: o.warmup ?? null,
    schedule: o.schedule ?? 'cosine',
    smallSchedule: o.smallSchedule ?? o.schedule ?? 'cosine',
    rewarmup: o.rewarmup ?? null,
    dropout: o.dropout ?? null,
    backend: o.backend.name,
    engine: o.backend.engine,
    device: o.backend.device,
  };
}

/**
 * What bench.json records and a later call must repeat: every option that shapes the runs already in
 * the folder. The arms (variants, stages, reference), the number of seeds and the target may change:
 * new arms and seeds train against the same random arms, and the target only changes the analysis.
 */
function benchRecord(o: CompareOptions, described: Record<string, unknown>): Record<string, unknown> {
  const { variants: _v, stages: _s, reference: _r, seeds: _n, backend: _b, engine: _e, device: _d, ...settings } = described;
  return {
    ...settings,
    smallLr: o.smallLr ?? null,
    snrDb: o.snrDb ?? null,
    tie: o.tie ?? null,
    evalEvery: o.evalEvery ?? null,
    evalWindows: o.evalWindows ?? null,
  };
}

/**
 * The staged arm's growAt: each growth re-warms for rewarmup (else warmup) steps unless it says otherwise, and a
 * growth in width without a variant is noisy-symmetric (a plain symmetric one, without dropout, never breaks its copies).
 */
export function effectiveStages(o: CompareOptions): CompareOptions['stages'] | null {
  const rewarmup = o.rewarmup ?? o.warmup;
  return (
    o.stages?.map((s) => ({
      ...s,
      ...((s.width ?? 1) > 1 && s.variant === undefined ? { variant: 'noisy-symmetric' as const } : {}),
      ...(rewarmup !== undefined && s.warmup === undefined ? { warmup: rewarmup } : {}),
    })) ?? null
  );
}
