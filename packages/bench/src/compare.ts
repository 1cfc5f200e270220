// compareCloneVsRandom: the benchmark the project exists for. Train (or take) a small model, clone
// it wide, then train the wide model from each clone variant and from random init with identical
// data order, hyperparameters, evaluation windows and seeds, and measure the cost of reaching the
// random arm's final accuracy. Not the report's rendering (report.ts) or the statistics (stats.ts).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, Logger, ProcessGroup } from '@hyperclone/core';
import { lockDir, silentLogger, writeFileAtomic } from '@hyperclone/core';
import type { Initializer, ModelConfig } from '@hyperclone/core';
import { growPlan, hyperclone, isModelDir, randomInit, type CloneOptions } from '@hyperclone/init';
import type { GrowStage, Summary, TrainOptions, ScheduleKind } from '@hyperclone/trainer';
import { planStages, readRunConfig, recordPath, trainFrom } from '@hyperclone/trainer';
import { analyze, STAGED_ARM, type BenchResult, type ArmRun } from './analyze.js';
import { checkArms, cloneArmOptions } from './arms.js';
import { openBenchFolder, writeBenchRecord } from './bench-folder.js';
import { checkBenchInputs } from './bench-inputs.js';
import { readEvals, type TargetMetric } from './time-to-target.js';
import { writeReport } from './report.js';

/** Training options every run of the benchmark gets as they are (trainFrom's, with its defaults). */
export const SHARED_TRAIN_KEYS = [
  'batchSize',
  'seqLen',
  'lr',
  'schedule',
  'dropout',
  'evalEvery',
  'evalWindows',
  'tasks',
  'taskLimit',
  'skipMemoryCheck',
] as const;
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
  /** nLayer multiplier of every wide arm (default 1): the clones grow in depth too (arms.ts), random starts at that size. */
  depth?: number;
  /** Clone arms raced against random: a variant with modifiers (arms.ts), e.g. 'noisy-symmetric', 'symmetric+rotate', 'noisy-symmetric+stack+copy'. */
  variants?: string[];
  /**
   * A staged arm (label 'stages'): random init at the small model's size, grown inside its run at
   * these steps (the trainer's growAt), for the last stage's step + `steps` steps. Its small phase is
   * part of its own cost. Its last stage must be the wide arms' size.
   */
  stages?: GrowStage[];
  /** The arm every other is also compared with (default 'clone:noisy-symmetric' when it runs). */
  reference?: string;
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
  /** Called once every input is checked and the folder is open, before the first training step. */
  onStart?: () => void;
  /** Called before each training run starts: (label, index, total). */
  onRun?: (label: string, index: number, total: number) => void;
  /** Called once the runs are done, before the report (its plots) is written. */
  onReport?: () => void;
  /** Passed through to every trainFrom (progress display). */
  trainHooks?: Pick<TrainOptions, 'onStep' | 'onEval' | 'signal'>;
}

export const DEFAULT_VARIANTS: string[] = ['noisy-symmetric'];

interface Arm {
  label: string;
  init: (seed: number) => Initializer;
  warmup: number | undefined;
  steps: number;
  extra: Partial<TrainOptions>;
}

/**
 * Runs the benchmark into `o.out`, holding its lock (rank 0 of a group) for the whole call. Every input
 * is checked before the first step. `out` must be new, empty, or a benchmark of the same run-shaping
 * options (bench.json): its finished runs are reused (an interrupted benchmark continues where it
 * stopped, and arms or seeds can be added later against the same random arms) and a run interrupted
 * midway resumes from its last checkpoint; anything else is refused untouched.
 */
export async function compareCloneVsRandom(o: CompareOptions): Promise<BenchResult> {
  const log = o.logger ?? silentLogger;
  const main = (o.distributed?.rank ?? 0) === 0;
  const lock = main ? lockDir(o.out, { command: 'bench', onTakeover: (message) => log.warn({ event: 'lock' }, message) }) : null;
  try {
    return await compareLocked(o, log, main);
  } finally {
    lock?.release();
  }
}

async function compareLocked(o: CompareOptions, log: Logger, main: boolean): Promise<BenchResult> {
  const seeds = Array.from({ length: o.seeds ?? 3 }, (_, i) => i);
  const variants = o.variants ?? (o.stages ? [] : DEFAULT_VARIANTS);
  const depth = o.depth ?? 1;
  if (variants.length) checkArms(variants, depth);
  else if (!o.stages) throw new Error('the benchmark needs at least one clone arm (variants) or a staged arm (stages)');
  const total = 1 + seeds.length * (1 + variants.length + (o.stages ? 1 : 0));
  let index = 0;
  const common = commonTrainOptions(o);
  const inputs = await checkBenchInputs(o, (label) => ({ ...common, out: join(o.out, label), steps: o.steps }));
  let smallCheckpoint: string | null = null;
  const arms = wideArms(o, variants, () => smallCheckpoint!, inputs.small, log); // the staged arm's sizes are checked here
  const record = benchRecord(o);
  const mode = openBenchFolder(o.out, record);
  if (main) await writeBenchRecord(o.out, record, false);
  if (mode === 'resume') log.info({ event: 'bench-resume', out: o.out }, `continuing the benchmark in ${o.out}`);
  o.onStart?.();

  // 1. the small model
  o.onRun?.('small', index++, total);
  const small = await smallModel(o, common, inputs.vocabSize);
  smallCheckpoint = small.checkpoint;
  log.info({ event: 'bench-small', checkpoint: small.checkpoint }, 'small model ready');

  // 2-3. wide arms: random and each clone arm, for every seed, on identical data and windows
  const runs: ArmRun[] = [];
  let complete = !interrupted(o);
  for (const seed of seeds) {
    for (const arm of arms) {
      // interrupted: report what finished (a group learns it from the run's agreed stop instead)
      if (!o.distributed && o.trainHooks?.signal?.aborted) break;
      const runDir = join(o.out, 'runs', `${arm.label.replace(':', '-')}-seed${seed}`);
      o.onRun?.(`${arm.label} seed ${seed}`, index++, total);
      const train = {
        ...common,
        ...arm.extra,
        out: runDir,
        steps: arm.steps,
        seed,
        evalAtStart: true,
        ...(arm.warmup !== undefined ? { warmup: arm.warmup } : {}),
      };
      const summary = await runOrReuse(runDir, arm.init(seed), train, log);
      if (summary.stopReason === 'interrupted') {
        complete = false;
        break; // a partial arm is not a result
      }
      runs.push({ arm: arm.label, seed, runDir: recordPath(o.out, runDir), summary, evals: readEvals(runDir) });
      log.info({ event: 'bench-arm', arm: arm.label, seed, finalValAcc: summary.finalValAcc }, `${arm.label} seed ${seed} done`);
    }
  }

  // 4-6. targets, costs, speedups, report
  const result = analyze({ runs, small: small.summary, target: o.target ?? null, options: describe(o, variants, seeds.length) });
  if (!main) return result;
  await writeFileAtomic(join(o.out, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
  o.onReport?.();
  await writeReport(o.out, result);
  if (complete && !interrupted(o)) await writeBenchRecord(o.out, record, true);
  return result;
}

function interrupted(o: CompareOptions): boolean {
  return o.trainHooks?.signal?.aborted === true;
}

/** random at the grown size, every clone arm, and the staged arm when asked for. */
function wideArms(o: CompareOptions, variants: string[], smallCheckpoint: () => string, smallConfig: ModelConfig, log: Logger): Arm[] {
  const depth = o.depth ?? 1;
  const growth = (spec: string, seed: number): CloneOptions => ({
    width: o.width,
    ...(o.ffn !== undefined ? { ffn: o.ffn } : {}),
    ...(depth > 1 ? { depth } : {}),
    ...cloneArmOptions(spec, depth),
    ...(o.snrDb !== undefined && spec.startsWith('noisy') ? { snrDb: o.snrDb } : {}),
    ...(o.tie !== undefined ? { tie: o.tie } : {}),
    seed,
    logger: log,
  });
  const wide = growPlan(smallConfig, {
    width: o.width,
    ...(o.ffn !== undefined ? { ffn: o.ffn } : {}),
    ...(depth > 1 ? { depth } : {}),
  }).config;
  const randomConfig = { ...wide, logitScale: 1, tieEmbeddings: smallConfig.tieEmbeddings };
  const rewarmup = o.rewarmup ?? o.warmup;
  const arms: Arm[] = [
    { label: 'random', init: (seed) => randomInit(randomConfig, { seed }), warmup: o.warmup, steps: o.steps, extra: {} },
    ...variants.map((v): Arm => ({
      label: `clone:${v}`,
      init: (seed) => hyperclone(smallCheckpoint(), growth(v, seed)),
      warmup: rewarmup,
      steps: o.steps,
      extra: {},
    })),
  ];
  if (o.stages) arms.push(stagedArm(o, smallConfig, randomConfig));
  return arms;
}

/** Random init at the small size, grown in its own run; its stages re-warm for rewarmup (else warmup) steps unless they say otherwise. */
function stagedArm(o: CompareOptions, smallConfig: ModelConfig, wide: ModelConfig): Arm {
  const stages = effectiveStages(o)!;
  const steps = stages.at(-1)!.step + o.steps;
  const last = planStages(smallConfig, stages, { seed: 0, steps, seqLen: o.seqLen ?? smallConfig.contextLength, warmup: 0 }).at(-1)!.model;
  const size = (c: ModelConfig) => `dModel ${c.dModel}, nLayer ${c.nLayer}, dFF ${c.dFF}, ${c.nHead} heads`;
  if (size(last) !== size(wide))
    throw new Error(`the stages end at ${size(last)}, but the wide arms are ${size(wide)}; grow to the same size`);
  return { label: STAGED_ARM, init: (seed) => randomInit(smallConfig, { seed }), warmup: o.warmup, steps, extra: { growAt: stages } };
}

/**
 * The staged arm's growAt: each growth re-warms for rewarmup (else warmup) steps unless it says otherwise, and a
 * growth in width without a variant is noisy-symmetric (a plain symmetric one, without dropout, never breaks its copies).
 */
function effectiveStages(o: CompareOptions): GrowStage[] | null {
  const rewarmup = o.rewarmup ?? o.warmup;
  return (
    o.stages?.map((s) => ({
      ...s,
      ...((s.width ?? 1) > 1 && s.variant === undefined ? { variant: 'noisy-symmetric' as const } : {}),
      ...(rewarmup !== undefined && s.warmup === undefined ? { warmup: rewarmup } : {}),
    })) ?? null
  );
}

/** Trains a run, or reuses it when its folder already holds it finished, or resumes it when it stopped midway. */
async function runOrReuse(runDir: string, init: Initializer, train: TrainOptions, log: Logger): Promise<Summary> {
  const summaryFile = join(runDir, 'summary.json');
  if (existsSync(summaryFile)) {
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
    const saved = await readRunConfig(runDir);
    const same =
      saved.steps === train.steps && saved.seed === train.seed && JSON.stringify(saved.growAt) === JSON.stringify(train.growAt ?? []);
    if (!same)
      throw new Error(`${runDir} holds a finished run with other settings (steps, seed or growAt); use another --out or remove it`);
    if (summary.stopReason === 'completed') {
      log.info({ event: 'bench-reuse', runDir }, `reusing the finished run in ${runDir}`);
      return summary;
    }
  }
  const resume = existsSync(join(runDir, 'config.json')); // one that died before its first checkpoint starts over
  if (resume) log.info({ event: 'bench-resume', runDir }, `resuming the unfinished run in ${runDir}`);
  return (await trainFrom(init, { ...train, resume })).summary;
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
  vocabSize: number,
): Promise<{ checkpoint: string; summary: Summary | null }> {
  // a checkpoint of ours, or a Hugging Face model directory as it is (checked by checkBenchInputs)
  if (isModelDir(o.small)) return { checkpoint: o.small, summary: await readSmallSummary(o.small) };
  const dir = join(o.out, 'small');
  const summary = await runOrReuse(
    dir,
    randomInit(o.small, { seed: 0, vocabSize }),
    {
      ...common,
      ...(o.smallLr !== undefined ? { lr: o.smallLr } : {}),
      ...(o.smallSchedule !== undefined ? { schedule: o.smallSchedule } : {}),
      ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
      out: dir,
      steps: o.smallSteps ?? o.steps,
      seed: 0,
    },
    o.logger ?? silentLogger,
  );
  return { checkpoint: join(dir, summary.checkpoint!), summary };
}

/** A given small checkpoint's training cost, when it sits in a run directory with a summary.json. */
async function readSmallSummary(dir: string): Promise<Summary | null> {
  for (const candidate of [join(dir, '..', 'summary.json'), join(dir, '..', '..', 'summary.json')]) {
    if (existsSync(candidate)) return JSON.parse(await readFile(candidate, 'utf8')) as Summary;
  }
  return null;
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
function benchRecord(o: CompareOptions): Record<string, unknown> {
  const { variants: _v, stages: _s, reference: _r, seeds: _n, backend: _b, engine: _e, device: _d, ...settings } = describe(o, [], 0);
  return {
    ...settings,
    smallLr: o.smallLr ?? null,
    snrDb: o.snrDb ?? null,
    tie: o.tie ?? null,
    evalEvery: o.evalEvery ?? null,
    evalWindows: o.evalWindows ?? null,
  };
}
