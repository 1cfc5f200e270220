// `hyperclone train`: turns flags into trainFrom options, wires pino (RUN/train.log), the progress
// display and Ctrl-C (finish the step, checkpoint, exit 130). Not the training loop (@hyperclone/trainer).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Initializer } from '@hyperclone/core';
import { fromCheckpoint, randomInit } from '@hyperclone/init';
import type { RunConfig, TrainOptions, TrainResult } from '@hyperclone/trainer';
import { readRunConfig, resumeInitializer, SCHEDULE_KINDS, trainFrom } from '@hyperclone/trainer';
import { backendFromFlags } from '../backends.js';
import { choiceFlag, CliError, numberFlag, parseFlags, type Command } from '../command.js';
import { createRunLogger } from '../logger.js';
import { readModelFlag, datasetVocab } from '../model-flag.js';
import { ProgressDisplay } from '../progress.js';

const usage =
  'hyperclone train --data DIR --out RUN (--model <preset|config.json> | --init CKPT) [--steps N] [--batch-size B] [--seq-len T] ' +
  '[--grad-accum N | --batch-tokens N] [--lr L] [--min-lr L] [--warmup N] [--rewarmup N] [--schedule cosine|wsd|constant] [--decay-fraction F] ' +
  '[--weight-decay W] [--beta1 B] [--beta2 B] [--eps E] [--grad-clip C] [--dropout P] [--backend auto|torch|tfjs] [--device cpu|cuda] [--threads N] ' +
  '[--target-loss X | --target-acc Y [--target-task NAME]] [--stop-at-target] [--eval-every N] [--eval-windows N] [--eval-batch-size N] [--eval-seed S] [--eval-at-start] ' +
  '[--task FILE.jsonl]... [--task-limit N] [--log-every N] [--checkpoint-every N] [--keep-last K] [--stop-after N] [--seed S] [--resume] ' +
  '[--sampler random|epoch] [--precision fp32|tf32|bf16] [--peak-tflops X]';

const flags = {
  data: { type: 'string' },
  out: { type: 'string' },
  model: { type: 'string' },
  init: { type: 'string' },
  steps: { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  'grad-accum': { type: 'string' },
  'batch-tokens': { type: 'string' },
  lr: { type: 'string' },
  'min-lr': { type: 'string' },
  warmup: { type: 'string' },
  rewarmup: { type: 'string' },
  schedule: { type: 'string' },
  'decay-fraction': { type: 'string' },
  'weight-decay': { type: 'string' },
  beta1: { type: 'string' },
  beta2: { type: 'string' },
  eps: { type: 'string' },
  'grad-clip': { type: 'string' },
  dropout: { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  'target-loss': { type: 'string' },
  'target-acc': { type: 'string' },
  'target-task': { type: 'string' },
  'stop-at-target': { type: 'boolean' },
  'eval-every': { type: 'string' },
  'eval-windows': { type: 'string' },
  'eval-batch-size': { type: 'string' },
  'eval-seed': { type: 'string' },
  'eval-at-start': { type: 'boolean' },
  task: { type: 'string', multiple: true },
  'task-limit': { type: 'string' },
  'log-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'keep-last': { type: 'string' },
  'stop-after': { type: 'string' },
  seed: { type: 'string' },
  resume: { type: 'boolean' },
  sampler: { type: 'string' },
  precision: { type: 'string' },
  'peak-tflops': { type: 'string' },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof flags>>['values'];
type Settings = Omit<TrainOptions, 'backend' | 'data' | 'out'> & { data?: string };

export const trainCommand: Command = {
  name: 'train',
  summary: 'pre-train a model on a token dataset (resumable; writes a run directory)',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const out = f.out;
    if (out === undefined) throw new CliError(`missing required flag --out\nusage: ${usage}`, 2);
    const saved = f.resume && existsSync(join(out, 'config.json')) ? await readRunConfig(out) : null;
    if (f.resume && !saved) throw new CliError(`cannot resume: ${out} holds no run (no config.json); start it without --resume`);
    const settings = { ...(saved ? savedSettings(saved) : {}), ...flagSettings(f) };
    const data = settings.data;
    if (data === undefined) throw new CliError(`missing required flag --data\nusage: ${usage}`, 2);
    const init = await chooseInit(f, data, out, saved);
    // a resumed run stays on its backend unless told otherwise (another engine changes the loss trace)
    const backend = await backendFromFlags(
      f,
      saved?.backend.name === 'torch' || saved?.backend.name === 'tfjs' ? saved.backend.name : undefined,
    );
    try {
      return await runTraining(init, { ...settings, data, out, backend });
    } finally {
      backend.close();
    }
  },
};

async function chooseInit(f: Flags, data: string, out: string, saved: RunConfig | null): Promise<Initializer> {
  if (f.model !== undefined && f.init !== undefined) throw new CliError('give either --model or --init, not both', 2);
  if (f.model !== undefined) {
    const seed = numberFlag(f.seed, 'seed', { integer: true, min: 0 }) ?? 0;
    return randomInit(await readModelFlag(f.model), { seed, vocabSize: await datasetVocab(data) });
  }
  if (f.init !== undefined) return fromCheckpoint(f.init);
  if (saved) return resumeInitializer(out);
  throw new CliError(`give --model <preset|config.json> for a new model or --init CKPT to start from a checkpoint\nusage: ${usage}`, 2);
}

/** The saved run's settings, so `--resume` alone continues it; flags given again must agree with them. */
function savedSettings(c: RunConfig): Settings {
  const s: Settings = {
    data: c.data,
    steps: c.steps,
    batchSize: c.batchSize,
    seqLen: c.seqLen,
    gradAccum: c.gradAccum,
    lr: c.lr,
    minLr: c.minLr,
    warmup: c.warmup,
    schedule: c.schedule,
    decayFraction: c.decayFraction,
    weightDecay: c.weightDecay,
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    gradClip: c.gradClip,
    dropout: c.model.dropout,
    seed: c.seed,
    sampler: c.sampler,
    evalEvery: c.evalEvery,
    evalWindows: c.evalWindows,
    evalBatchSize: c.evalBatchSize,
    evalSeed: c.evalSeed,
    evalAtStart: c.evalAtStart,
    tasks: c.tasks,
    logEvery: c.logEvery,
    checkpointEvery: c.checkpointEvery,
    keepLast: c.keepLast,
    keepBest: c.keepBest,
    stopAtTarget: c.stopAtTarget,
    precision: c.precision,
  };
  if (c.taskLimit !== null) s.taskLimit = c.taskLimit;
  if (c.target !== null) s.target = c.target;
  return s;
}

function flagSettings(f: Flags): Settings {
  const int = (v: string | undefined, name: string, min = 1) => numberFlag(v, name, { integer: true, min });
  const num = (v: string | undefined, name: string) => numberFlag(v, name);
  const s: Record<string, unknown> = {
    data: f.data,
    steps: int(f.steps, 'steps'),
    batchSize: int(f['batch-size'], 'batch-size'),
    seqLen: int(f['seq-len'], 'seq-len'),
    gradAccum: int(f['grad-accum'], 'grad-accum'),
    batchTokens: int(f['batch-tokens'], 'batch-tokens'),
    lr: num(f.lr, 'lr'),
    minLr: num(f['min-lr'], 'min-lr'),
    warmup: int(f.warmup, 'warmup', 0),
    rewarmup: int(f.rewarmup, 'rewarmup', 0),
    schedule: choiceFlag(f.schedule, 'schedule', SCHEDULE_KINDS),
    decayFraction: num(f['decay-fraction'], 'decay-fraction'),
    weightDecay: num(f['weight-decay'], 'weight-decay'),
    beta1: num(f.beta1, 'beta1'),
    beta2: num(f.beta2, 'beta2'),
    eps: num(f.eps, 'eps'),
    gradClip: num(f['grad-clip'], 'grad-clip'),
    dropout: num(f.dropout, 'dropout'),
    seed: int(f.seed, 'seed', 0),
    evalEvery: int(f['eval-every'], 'eval-every'),
    evalWindows: int(f['eval-windows'], 'eval-windows'),
    evalBatchSize: int(f['eval-batch-size'], 'eval-batch-size'),
    evalSeed: int(f['eval-seed'], 'eval-seed', 0),
    evalAtStart: f['eval-at-start'],
    tasks: f.task,
    taskLimit: int(f['task-limit'], 'task-limit'),
    logEvery: int(f['log-every'], 'log-every'),
    checkpointEvery: int(f['checkpoint-every'], 'checkpoint-every', 0),
    keepLast: int(f['keep-last'], 'keep-last'),
    stopAfter: int(f['stop-after'], 'stop-after'),
    resume: f.resume,
    stopAtTarget: f['stop-at-target'],
    sampler: choiceFlag(f.sampler, 'sampler', ['random', 'epoch'] as const),
    precision: f.precision,
    target: targetFlag(f),
  };
  const tflops = num(f['peak-tflops'], 'peak-tflops');
  if (tflops !== undefined) s['peakFlopsPerSec'] = tflops * 1e12;
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Settings;
}

function targetFlag(f: Flags): { metric: string; value: number } | undefined {
  const loss = numberFlag(f['target-loss'], 'target-loss');
  const acc = numberFlag(f['target-acc'], 'target-acc');
  if (loss !== undefined && acc !== undefined) throw new CliError('give --target-loss or --target-acc, not both', 2);
  if (f['target-task'] !== undefined && acc === undefined)
    throw new CliError('--target-task goes with --target-acc (a task accuracy target)', 2);
  if (loss !== undefined) return { metric: 'valLoss', value: loss };
  if (acc !== undefined) return { metric: f['target-task'] ? `${f['target-task']}.acc` : 'valAcc', value: acc };
  return undefined;
}

async function runTraining(init: Initializer, options: TrainOptions): Promise<number> {
  const progress = new ProgressDisplay(process.stderr, { tty: process.stderr.isTTY === true });
  const runLog = createRunLogger((level, msg) => progress.note(`${level === 'warn' ? 'warning' : 'error'}: ${msg}`));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    progress.note(`${signal}: finishing this step and saving a checkpoint (press Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  let result: TrainResult;
  try {
    result = await trainFrom(init, {
      ...options,
      logger: runLog.logger,
      signal: controller.signal,
      onStart: (e) => {
        runLog.attach(join(e.runDir, 'train.log'));
        progress.note(
          e.resumedFromStep === null
            ? `training ${e.totalSteps} steps into ${e.runDir}`
            : `resuming ${e.runDir} at step ${e.resumedFromStep}`,
        );
      },
      onStep: (e) => progress.step(e),
      onEval: (e) => progress.eval(e),
    });
  } catch (e) {
    runLog.fileOnly.error({ event: 'error', err: (e as Error).message }, (e as Error).message);
    throw e;
  } finally {
    progress.end();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    runLog.close();
  }
  return report(result);
}

function report({ summary: s, checkpoint, runDir }: TrainResult): number {
  const val = s.finalValLoss === null ? 'n/a' : `${s.finalValLoss.toFixed(4)} (acc ${s.finalValAcc!.toFixed(4)})`;
  const cost = `${s.tokens.toLocaleString('en-US')} tokens, ${s.trainSeconds.toFixed(1)} s in steps, ${s.deviceHours.toFixed(5)} device-hours`;
  process.stdout.write(`step ${s.steps}/${s.totalSteps}: val loss ${val}; ${cost}\n`);
  if (s.tokensPerSec !== null) {
    const mfu = s.mfu === null ? '' : `, MFU ${(100 * s.mfu).toFixed(2)}% against the ${s.peakSource}`;
    process.stdout.write(`throughput: ${Math.round(s.tokensPerSec).toLocaleString('en-US')} tokens/s on ${s.engine}${mfu}\n`);
  }
  if (s.target) {
    const reached = s.reachedTarget
      ? `reached at step ${s.stepsToTarget} after ${s.deviceHoursToTarget!.toFixed(5)} device-hours`
      : 'not reached';
    process.stdout.write(`target ${s.target.metric} ${s.target.value}: ${reached}\n`);
  }
  process.stdout.write(`checkpoint: ${checkpoint}\nsummary: ${join(runDir, 'summary.json')}\n`);
  if (s.stopReason === 'interrupted') {
    process.stderr.write(`interrupted after step ${s.steps}; continue with: hyperclone train --out ${runDir} --resume\n`);
    return 130;
  }
  if (s.stopReason === 'stop-after')
    process.stdout.write(`stopped after step ${s.steps} (--stop-after); continue with: hyperclone train --out ${runDir} --resume\n`);
  return 0;
}
