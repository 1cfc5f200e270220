// compareCloneVsRandom: the benchmark the project exists for. Train (or take) a small model, clone
// it wide, then train the wide model from each clone variant and from random init with identical
// data order, hyperparameters, evaluation windows and seeds, and measure the cost of reaching the
// random arm's final accuracy. Not the report's rendering (report.ts) or the statistics (stats.ts).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, Logger, ProcessGroup } from '@hyperclone/core';
import { isCheckpointDir, silentLogger, writeFileAtomic } from '@hyperclone/core';
import { openDataset } from '@hyperclone/data';
import { fromCheckpoint, hyperclone, randomInit } from '@hyperclone/init';
import type { CloneVariant } from '@hyperclone/init';
import type { Summary, TrainOptions, ScheduleKind } from '@hyperclone/trainer';
import { recordPath, trainFrom } from '@hyperclone/trainer';
import { analyze, type BenchResult, type ArmRun } from './analyze.js';
import { readEvals, type TargetMetric } from './time-to-target.js';
import { writeReport } from './report.js';

/** Training options every run of the benchmark gets as they are (trainFrom's, with its defaults). */
export const SHARED_TRAIN_KEYS = ['batchSize', 'seqLen', 'lr', 'schedule', 'dropout', 'evalEvery', 'evalWindows'] as const;
type SharedTrainOptions = Pick<TrainOptions, (typeof SHARED_TRAIN_KEYS)[number]>;

export interface CompareOptions extends SharedTrainOptions {
  data: string;
  out: string;
  backend: Backend;
  /** One rank of a data-parallel group: every run trains on it; rank 0 alone writes the results. */
  distributed?: ProcessGroup;
  /** A preset name (trained here for smallSteps) or a trained checkpoint directory. */
  small: string;
  smallSteps?: number;
  width: number;
  ffn?: number;
  variants?: CloneVariant[];
  snrDb?: number;
  tie?: 'keep' | 'untie';
  /** Seeds per arm (K >= 1; >= 3 for a p-value worth reading). */
  seeds?: number;
  /** Steps of every wide arm (the budget). */
  steps: number;
  smallLr?: number;
  /** Warmup of the small model and the random arm (the trainer's default when absent). */
  warmup?: number;
  /** The small model's own schedule (default: schedule). A pretrained small model is usually annealed. */
  smallSchedule?: ScheduleKind;
  /** Warmup of the cloned arms (default: the same as warmup). */
  rewarmup?: number;
  /** Default: the random arm's final validation accuracy, per seed. */
  target?: { metric: TargetMetric; value: number };
  logger?: Logger;
  /** Called before each training run starts: (label, index, total). */
  onRun?: (label: string, index: number, total: number) => void;
  /** Passed through to every trainFrom (progress display). */
  trainHooks?: Pick<TrainOptions, 'onStep' | 'onEval' | 'signal'>;
}

export const DEFAULT_VARIANTS: CloneVariant[] = ['noisy-symmetric'];

export async function compareCloneVsRandom(o: CompareOptions): Promise<BenchResult> {
  const log = o.logger ?? silentLogger;
  const seeds = Array.from({ length: o.seeds ?? 3 }, (_, i) => i);
  const variants = o.variants ?? DEFAULT_VARIANTS;
  const total = 1 + seeds.length * (1 + variants.length);
  let index = 0;
  const common = commonTrainOptions(o);

  // 1. the small model
  o.onRun?.('small', index++, total);
  const small = await smallModel(o, common);
  log.info({ event: 'bench-small', checkpoint: small.checkpoint }, 'small model ready');

  // 2-3. wide arms: random and each clone variant, for every seed, on identical data and windows
  const cloneOptions = (variant: CloneVariant, seed: number) => ({
    width: o.width,
    ...(o.ffn !== undefined ? { ffn: o.ffn } : {}),
    variant,
    ...(o.snrDb !== undefined ? { snrDb: o.snrDb } : {}),
    ...(o.tie !== undefined ? { tie: o.tie } : {}),
    seed,
    logger: log,
  });
  const wideConfig = (await hyperclone(small.checkpoint, cloneOptions('symmetric', 0)).load()).config;
  const randomConfig = {
    ...wideConfig,
    logitScale: 1,
    tieEmbeddings: (await fromCheckpoint(small.checkpoint).load()).config.tieEmbeddings,
  };

  const runs: ArmRun[] = [];
  for (const seed of seeds) {
    const arms: [string, () => ReturnType<typeof randomInit>, number | undefined][] = [
      ['random', () => randomInit(randomConfig, { seed }), o.warmup],
      ...variants.map((v): [string, () => ReturnType<typeof randomInit>, number | undefined] => [
        `clone:${v}`,
        () => hyperclone(small.checkpoint, cloneOptions(v, seed)),
        o.rewarmup ?? o.warmup,
      ]),
    ];
    for (const [arm, init, warmup] of arms) {
      // interrupted: report what finished (a group learns it from the run's agreed stop instead)
      if (!o.distributed && o.trainHooks?.signal?.aborted) break;
      const runDir = join(o.out, 'runs', `${arm.replace(':', '-')}-seed${seed}`);
      o.onRun?.(`${arm} seed ${seed}`, index++, total);
      const result = await trainFrom(init(), {
        ...common,
        out: runDir,
        steps: o.steps,
        seed,
        evalAtStart: true,
        ...(warmup !== undefined ? { warmup } : {}),
      });
      if (result.summary.stopReason === 'interrupted') break; // a partial arm is not a result
      runs.push({ arm, seed, runDir: recordPath(o.out, runDir), summary: result.summary, evals: readEvals(runDir) });
      log.info({ event: 'bench-arm', arm, seed, finalValAcc: result.summary.finalValAcc }, `${arm} seed ${seed} done`);
    }
  }

  // 4-6. targets, costs, speedups, report
  const result = analyze({ runs, small: small.summary, target: o.target ?? null, options: describe(o, variants, seeds.length) });
  if ((o.distributed?.rank ?? 0) > 0) return result;
  await writeFileAtomic(join(o.out, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
  await writeReport(o.out, result);
  return result;
}

function commonTrainOptions(o: CompareOptions): Omit<TrainOptions, 'out' | 'steps'> {
  return {
    data: o.data,
    backend: o.backend,
    ...(o.distributed ? { distributed: o.distributed } : {}),
    keepBest: false, // the benchmark reads eval.jsonl; a best checkpoint per evaluation is only disk traffic
    ...sharedTrainOptions(o),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.trainHooks ?? {}),
  };
}

function sharedTrainOptions(o: CompareOptions): SharedTrainOptions {
  const shared: Record<string, unknown> = {};
  for (const key of SHARED_TRAIN_KEYS) if (o[key] !== undefined) shared[key] = o[key];
  return shared as SharedTrainOptions;
}

async function smallModel(
  o: CompareOptions,
  common: Omit<TrainOptions, 'out' | 'steps'>,
): Promise<{ checkpoint: string; summary: Summary | null }> {
  if (isCheckpointDir(o.small)) return { checkpoint: o.small, summary: await readSmallSummary(o.small) };
  if (existsSync(o.small)) throw new Error(`--small ${o.small} is a directory but not a checkpoint (no config.json + model.safetensors)`);
  const dataset = await openDataset(o.data);
  const vocabSize = dataset.meta.vocabSize;
  dataset.close();
  const result = await trainFrom(randomInit(o.small, { seed: 0, vocabSize }), {
    ...common,
    ...(o.smallLr !== undefined ? { lr: o.smallLr } : {}),
    ...(o.smallSchedule !== undefined ? { schedule: o.smallSchedule } : {}),
    ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
    out: join(o.out, 'small'),
    steps: o.smallSteps ?? o.steps,
    seed: 0,
  });
  return { checkpoint: result.checkpoint, summary: result.summary };
}

/** A given small checkpoint's training cost, when it sits in a run directory with a summary.json. */
async function readSmallSummary(dir: string): Promise<Summary | null> {
  for (const candidate of [join(dir, '..', 'summary.json'), join(dir, '..', '..', 'summary.json')]) {
    if (existsSync(candidate)) return JSON.parse(await readFile(candidate, 'utf8')) as Summary;
  }
  return null;
}

/** The settings as summary.json records them: paths relative to the benchmark's folder. */
function describe(o: CompareOptions, variants: CloneVariant[], seeds: number): Record<string, unknown> {
  return {
    data: recordPath(o.out, o.data),
    small: existsSync(o.small) ? recordPath(o.out, o.small) : o.small,
    smallSteps: o.smallSteps ?? o.steps,
    width: o.width,
    ffn: o.ffn ?? o.width,
    variants,
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
