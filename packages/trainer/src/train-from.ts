// trainFrom: the pre-training loop. Each step trains, logs, evaluates when due, checkpoints when
// due, and stops at the end, at a target, after --stop-after steps, or on an abort signal (always
// leaving a checkpoint). Not the pieces themselves (training-run.ts) or opening a run (open-run.ts).

import { isAbsolute, relative, resolve } from 'node:path';
import type { DirLock, Initializer, Logger } from '@hyperclone/core';
import { lockDir, silentLogger } from '@hyperclone/core';
import { openRun } from './open-run.js';
import type { ParsedTrainOptions, TrainOptions } from './options.js';
import { parseTrainOptions } from './options.js';
import type { StopReason, Summary } from './summary.js';
import { loadTokenizer } from '@hyperclone/data';
import { TensorBoardSink } from './tensorboard/tensorboard-sink.js';
import { sampleText } from './tensorboard/text-sample.js';
import type { Hooks, TrainingRun } from './training-run.js';

export interface TrainResult {
  summary: Summary;
  /** The last checkpoint written (the final weights for a completed run). */
  checkpoint: string;
  runDir: string;
}

export async function trainFrom(init: Initializer, options: TrainOptions): Promise<TrainResult> {
  const o = parseTrainOptions(options);
  const main = (o.distributed?.rank ?? 0) === 0; // rank 0 alone logs and reports
  const log = main ? (o.logger ?? silentLogger) : silentLogger;
  const lock = main ? lockRun(o, log) : null; // the other ranks never write the run directory
  let tensorBoardLock: DirLock | null = null;
  try {
    if (main && o.tensorboard !== undefined && !isInside(resolve(o.tensorboard), resolve(o.out)))
      tensorBoardLock = lockDir(o.tensorboard, { command: 'train', label: `--tensorboard ${o.tensorboard}` });
    return await trainLocked(init, o, log);
  } finally {
    tensorBoardLock?.release();
    lock?.release();
  }
}

/** A folder inside the run directory is covered by the run's own lock (TensorBoard's usual RUN/tensorboard). */
function isInside(dir: string, runDir: string): boolean {
  const rel = relative(runDir, dir);
  return !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The run directory's lock, held for the whole call: a second writer (another run, a resume of this one)
 * is refused naming this process. In a data-parallel group only rank 0, which writes, takes it.
 */
function lockRun(o: ParsedTrainOptions, log: Logger): DirLock {
  return lockDir(o.out, { command: 'train', onTakeover: (message) => log.warn({ event: 'lock' }, message) });
}

async function trainLocked(init: Initializer, o: ParsedTrainOptions, log: Logger): Promise<TrainResult> {
  const { run, resumedFrom, restart } = await openRun(init, o);
  let tensorBoard: TensorBoardSink | null = null;
  try {
    const c = run.p.config;
    log.info(
      {
        event: 'start',
        runDir: c.out,
        resumedFromStep: resumedFrom,
        steps: c.steps,
        params: c.params,
        tokensPerStep: c.tokensPerStep,
        backend: c.backend,
      },
      resumedFrom === null ? 'training' : `resuming at step ${resumedFrom}`,
    );
    const start = { runDir: c.out, totalSteps: c.steps, resumedFromStep: resumedFrom, config: c as unknown as Record<string, unknown> };
    if (run.main) o.onStart?.(start);
    if (run.main && c.tensorboard) {
      tensorBoard = await TensorBoardSink.open(c.tensorboard, start, {
        startOver: restart,
        onTorn: (message) => log.warn({ event: 'recovery' }, message),
      });
      const tokenizer = await loadTokenizer(c.data).catch(() => null); // a folder of token shards may carry none
      const sample = tokenizer ? (step: number) => sampleText(run.p.b, run.model, run.p.params, tokenizer, step) : null;
      run.p.hooks = hooksWithTensorBoard(run.p.hooks, tensorBoard, sample);
    }
    const stopReason = resumedFrom === null && c.evalAtStart && (await evaluateAtStart(run)) ? 'target' : await loop(run, o.signal);
    const checkpoint = await run.checkpoint(stopReason === 'completed' ? 'final' : 'stop');
    const summary = run.summary(stopReason);
    if (run.main) await run.writeSummary(summary);
    tensorBoard?.end(summary);
    run.p.dist?.finish(); // every rank is done with the group before any leaves
    log.info(
      { event: 'end', stopReason, step: summary.steps, checkpoint, deviceHours: summary.deviceHours, finalValLoss: summary.finalValLoss },
      `stopped: ${stopReason}`,
    );
    return { summary, checkpoint, runDir: c.out };
  } catch (e) {
    tensorBoard?.failed(run.step);
    throw e;
  } finally {
    tensorBoard?.close();
    run.dispose();
  }
}

/** The run's hooks, each also writing its event to TensorBoard (rank 0 alone has any); an evaluation also a sample of text. */
function hooksWithTensorBoard(hooks: Hooks, tb: TensorBoardSink, sample: ((step: number) => string) | null): Hooks {
  return {
    onStep: (row) => {
      tb.step(row);
      hooks.onStep?.(row);
    },
    onEval: (row) => {
      tb.evaluation(row);
      if (sample) tb.sample(row.step, sample(row.step));
      hooks.onEval?.(row);
    },
    onCheckpoint: (e) => {
      tb.checkpoint(e);
      hooks.onCheckpoint?.(e);
    },
    ...(hooks.onStart ? { onStart: hooks.onStart } : {}),
  };
}

async function loop(run: TrainingRun, signal: AbortSignal | undefined): Promise<StopReason> {
  const c = run.p.config;
  let ran = 0;
  while (run.step < c.steps) {
    if (run.stopsBeforeNextStep(signal?.aborted === true)) return 'interrupted';
    run.growIfDue(); // a growth stage (growAt) starts after its step, before the next one
    // Steps that are neither logged, evaluated nor saved read nothing back from the device.
    const step = run.trainStep();
    ran++;
    const last = step === c.steps;
    const evalRow = step % c.evalEvery === 0 || last ? await run.evaluate() : null;
    const symmetry = evalRow?.symmetry?.mean ?? undefined;
    if (step % c.logEvery === 0 || last || evalRow) await run.logStep(symmetry);
    if (evalRow && run.takeBest() && c.keepBest) await run.saveBest();
    if (c.checkpointEvery > 0 && step % c.checkpointEvery === 0) await run.checkpoint('periodic');
    if (evalRow?.reachedTarget && c.stopAtTarget) return 'target';
    if (c.stopAfter !== null && ran >= c.stopAfter && !last) return 'stop-after';
    await yieldToEvents(); // lets a SIGINT handler run between steps
  }
  return 'completed';
}

/** Step 0: the initial weights' evaluation; true when it already meets a target the run stops at. */
async function evaluateAtStart(run: TrainingRun): Promise<boolean> {
  const row = await run.evaluate();
  if (run.takeBest() && run.p.config.keepBest) await run.saveBest();
  return row.reachedTarget && run.p.config.stopAtTarget;
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
