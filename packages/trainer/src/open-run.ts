// Opens a run: loads the initializer, the data and the tasks, resolves the run config, and for
// --resume loads and checks the latest checkpoint, all before the first file is written, so bad
// input leaves nothing behind. Not the loop (train-from.ts).

import { resolve } from 'node:path';
import type { Backend, Checkpoint, CloneInfo, Initializer, Logger, ModelConfig, ParamSpec, StateDict } from '@hyperclone/core';
import { checkSameTokenizer, loadCheckpoint, paramSpec, silentLogger, uploadParams } from '@hyperclone/core';
import { symmetryReport } from '@hyperclone/init';
import { Accounting } from './accounting.js';
import { AdamW, type Optimizer } from './adamw.js';
import { ShardedAdamW } from './sharded-adamw.js';
import { CheckpointStore } from './checkpoint-store.js';
import { DataParallel } from './data-parallel.js';
import { openDatasetInfo, tokenizerOf, trainData } from './data-source.js';
import { stageIndexAt, type RunStage } from './grow-stages.js';
import type { ParsedTrainOptions } from './options.js';
import { resolvePeak, type PeakFlops } from './peaks.js';
import type { RunConfig } from './run-config.js';
import { resolveRunConfig } from './run-config.js';
import { trajectoryMismatch } from './resume-rules.js';
import { RunFiles } from './run-files.js';
import { recoverRun } from './run-recovery.js';
import { targetTask } from './targets.js';
import type { Task } from './tasks.js';
import { loadTask } from './tasks.js';
import { checkTrainMemory } from './memory-check.js';
import type { TrainerState } from './trainer-state.js';
import { checkTrainerState } from './trainer-state.js';
import type { SymmetryProbe } from './training-run.js';
import { TrainingRun } from './training-run.js';

interface Resumed {
  path: string;
  ckpt: Checkpoint;
  state: TrainerState;
}

export async function openRun(init: Initializer, o: ParsedTrainOptions): Promise<{ run: TrainingRun; resumedFrom: number | null }> {
  const dist = o.distributed ? new DataParallel(o.distributed, o.backend) : null;
  const log = dist && !dist.main ? silentLogger : (o.logger ?? silentLogger);
  let opened: Opened;
  try {
    opened = await openParts(init, o, log, dist);
  } catch (e) {
    dist?.agreeToStart({}, e as Error); // tells the other ranks why, then throws
    throw e;
  }
  const { run, resumed, files } = opened;
  try {
    if (dist) {
      dist.agreeToStart(startFingerprint(run.p.config, resumed), null);
      dist.broadcastFromRankZero(run.stateTensors()); // every rank starts from rank 0's weights and moments
    }
    if (run.main) {
      if (resumed) await files.truncateAfter(resumed.state.step, (message) => log.warn({ event: 'recovery' }, message));
      else if (o.resume || opened.restart) await files.startOver();
      await files.writeConfig(run.p.config);
    }
  } catch (e) {
    run.dispose();
    throw e;
  }
  return { run, resumedFrom: resumed?.state.step ?? null };
}

interface Opened {
  run: TrainingRun;
  resumed: Resumed | null;
  files: RunFiles;
  /** The directory held a run that stopped before its first checkpoint: it starts over in place. */
  restart: boolean;
}

/** Everything a run needs, checked and loaded, before anything is written. */
async function openParts(init: Initializer, o: ParsedTrainOptions, log: Logger, dist: DataParallel | null): Promise<Opened> {
  const warn = (message: string): void => log.warn({ event: 'recovery' }, message);
  const files = new RunFiles(resolve(o.out));
  const store = new CheckpointStore(files.runDir, o.keepLast);
  const restart = o.resume ? false : (await files.checkFresh(store)) === 'restart';
  await checkTrainMemory(init, o); // before the weights exist
  const model = await init.load();
  const modelConfig = o.dropout === undefined ? model.config : { ...model.config, dropout: o.dropout };
  const opened = await openDatasetInfo(o.data);
  let config: RunConfig;
  let tasks: Task[];
  let resumed: Resumed | null;
  try {
    config = resolveRunConfig({
      options: o,
      backend: o.backend,
      initKind: init.kind,
      origin: model.origin,
      clone: model.clone ?? null,
      model: modelConfig,
      dataset: opened.info,
    });
    checkSameTokenizer(model.tokenizer ?? null, tokenizerOf(opened.info), `the initial model (init ${init.kind})`, o.data);
    tasks = await loadTasks(config);
    // under the run's lock no one else writes here; in a group rank 0 alone repairs
    if ((o.resume || restart) && (dist?.main ?? true)) await recoverRun(files.runDir, warn);
    resumed = o.resume ? await loadResume(files, store, config, init.kind, log) : null;
  } catch (e) {
    opened.dataset.close();
    throw e;
  }
  if (restart) warn(`${files.runDir} holds a run that stopped before its first checkpoint; starting it over`);
  const data = trainData(opened, { ...config, rank: dist?.rank ?? 0, worldSize: config.worldSize });
  warnAboutSymmetry(config, log);
  const stageIndex = resumed ? stageIndexAt(config.stages, resumed.state.step) : 0;
  const carried = resumed?.ckpt.files ?? model.files ?? {};
  const run = await assemble(o.backend, config, resumed?.ckpt.weights ?? model.weights, stageIndex, {
    files,
    data,
    tasks,
    log,
    o,
    dist,
    carried,
  }).catch((e: unknown) => {
    data.close();
    throw e;
  });
  try {
    if (resumed) restoreRun(run, resumed);
  } catch (e) {
    run.dispose();
    throw e;
  }
  return { run, resumed, files, restart };
}

/** What every rank of a group must agree on: the fields that steer the loop, and where it resumes. */
function startFingerprint(c: RunConfig, resumed: Resumed | null): Record<string, unknown> {
  const { model, dataset, steps, batchSize, seqLen, gradAccum, lr, minLr, warmup, schedule, seed, sampler } = c;
  const { evalEvery, evalWindows, evalSeed, evalAtStart, stopAfter, target, stopAtTarget, worldSize, zeroStage } = c;
  return {
    ...{ model, dataset, steps, batchSize, seqLen, gradAccum, lr, minLr, warmup, schedule, seed, sampler },
    ...{ evalEvery, evalWindows, evalSeed, evalAtStart, stopAfter, target, stopAtTarget, worldSize, zeroStage },
    resumedFromStep: resumed?.state.step ?? null,
  };
}

function restoreRun(run: TrainingRun, resumed: Resumed): void {
  run.p.optimizer.loadStateDict(resumed.ckpt.optimizer!, resumed.path);
  run.loadStateDict(resumed.state, resumed.path);
  run.lastSaved = { step: resumed.state.step, path: resumed.path };
}

async function loadTasks(config: RunConfig): Promise<Task[]> {
  const tasks = await Promise.all(config.tasks.map((file) => loadTask(file)));
  const names = tasks.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw new Error(`two task files are both named "${dup}"; rename one (a task is named after its folder for docs.jsonl, else its file)`);
  const needed = targetTask(config.target);
  if (needed && !names.includes(needed))
    throw new Error(`the target ${config.target!.metric} needs the task "${needed}"; pass its JSONL file in tasks (--task)`);
  return tasks;
}

/**
 * The newest usable checkpoint of the run, checked against the run's saved config and the new one; a
 * newer one that does not load is passed over with a warning. Null when the run has no checkpoint at all
 * (it stopped before its first): it then starts over, with a warning.
 */
async function loadResume(
  files: RunFiles,
  store: CheckpointStore,
  config: RunConfig,
  initKind: string,
  log: Logger,
): Promise<Resumed | null> {
  const saved = await files.readConfig();
  const mismatch = trajectoryMismatch(saved, config);
  if (saved.init.kind !== initKind) mismatch.unshift(`init (saved ${saved.init.kind}, now ${initKind})`);
  if (mismatch.length) throw new Error(`cannot resume ${files.runDir}: these settings differ from the saved run: ${mismatch.join('; ')}`);
  if (saved.backend.engine !== config.backend.engine) {
    log.warn(
      { event: 'resume', saved: saved.backend.engine, now: config.backend.engine },
      `resuming a run started on ${saved.backend.engine} on ${config.backend.engine}: it continues, but its loss trace will not be bit-identical to an uninterrupted run`,
    );
  }
  files.checkLogs();
  const warn = (message: string): void => log.warn({ event: 'resume' }, message);
  const found = await store.newestUsable((c) => loadResumable(c.path, config), warn, files.runDir);
  if (!found) {
    warn(
      `cannot resume ${files.runDir} from a checkpoint: it has none (it stopped before its first); starting over from step 0 with its saved settings`,
    );
    return null;
  }
  const { path } = found.checkpoint;
  const { ckpt, state } = found.value;
  if (state.step >= config.steps)
    throw new Error(`the run in ${files.runDir} already finished all ${config.steps} steps; nothing to resume (see summary.json)`);
  return { path, ckpt, state };
}

/** A checkpoint a run can resume from: it loads, has moments and trainer state, and holds the run's model at its step. */
async function loadResumable(path: string, config: RunConfig): Promise<{ ckpt: Checkpoint; state: TrainerState }> {
  const ckpt = await loadCheckpoint(path);
  const state = checkTrainerState(ckpt.trainerState, path);
  checkSameTokenizer(ckpt.tokenizer ?? null, tokenizerOf(config.dataset), path, config.data);
  const stage = config.stages[stageIndexAt(config.stages, state.step)]!;
  if (JSON.stringify(ckpt.config) !== JSON.stringify(stage.model))
    throw new Error(`it holds a different model config than the run${config.stages.length > 1 ? ` has after step ${state.step}` : ''}`);
  if (!ckpt.optimizer) throw new Error('it has no optimizer.safetensors');
  return { ckpt, state };
}

interface AssembleParts {
  files: RunFiles;
  data: ReturnType<typeof trainData>;
  tasks: Task[];
  log: Logger;
  o: ParsedTrainOptions;
  dist: DataParallel | null;
  carried: Record<string, Uint8Array>;
}

async function assemble(
  b: Backend,
  config: RunConfig,
  weights: StateDict,
  stageIndex: number,
  { files, data, tasks, log, o, dist, carried }: AssembleParts,
): Promise<TrainingRun> {
  const peak = groupPeak(
    resolvePeak(b, config.precision, o.peakFlopsPerSec, (msg) => log.warn({ event: 'peak' }, msg)),
    config.worldSize,
    o,
  );
  log.info({ event: 'peak', peakFlopsPerSec: peak.flopsPerSec, source: peak.source }, 'MFU peak');
  const stage = config.stages[stageIndex]!;
  const specs = paramSpec(stage.model);
  const tokenizer = tasks.length > 0 ? await data.tokenizer() : null;
  const adamw = { beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay };
  // ZeRO shards the moments over the group's ranks; one process holds them whole
  const optimizerFor = (stageSpecs: ParamSpec[]): Optimizer =>
    dist && config.zeroStage > 0
      ? new ShardedAdamW(b, stageSpecs, adamw, dist.group, config.zeroStage as 1 | 2)
      : new AdamW(b, stageSpecs, adamw);
  const symmetryFor = (st: RunStage): SymmetryProbe | null => {
    const clone = st.fromStep === 0 ? config.init.clone : st.clone;
    return clone ? symmetryProbe(st.model, clone) : null;
  };
  return new TrainingRun({
    carried,
    b,
    config,
    stage: stageIndex,
    specs,
    params: uploadParams(b, stage.model, weights),
    optimizer: optimizerFor(specs),
    newOptimizer: optimizerFor,
    data,
    files,
    store: new CheckpointStore(files.runDir, config.keepLast),
    accounting: new Accounting(stage.flopsPerToken, config.backend.device.count, peak.flopsPerSec, {
      measured: peak.measured,
      onRaised: (from, to) =>
        log.info(
          { event: 'peak-raised', fromFlopsPerSec: from, toFlopsPerSec: to },
          `training ran at ${(to / 1e9).toFixed(1)} GFLOP/s, above the measured matmul peak of ${(from / 1e9).toFixed(1)}: MFU is against ${(to / 1e9).toFixed(1)} from here`,
        ),
    }),
    schedule: {
      kind: config.schedule,
      lr: config.lr,
      minLr: config.minLr,
      warmupSteps: config.warmup,
      totalSteps: config.steps,
      decayFraction: config.decayFraction,
      ...(config.stages.length > 1
        ? { restarts: config.stages.slice(1).map((st) => ({ step: st.fromStep, warmupSteps: st.warmup })) }
        : {}),
    },
    tasks,
    tokenizer,
    symmetry: symmetryFor(stage),
    symmetryFor,
    peakSource: peak.source,
    log,
    // rank 0 alone reports: other ranks call no hooks
    hooks: dist && !dist.main ? {} : { onStart: o.onStart, onStep: o.onStep, onEval: o.onEval, onCheckpoint: o.onCheckpoint },
    dist,
  });
}

/** A measured or table peak is one rank's: the group's is worldSize times it (a given peak is the whole run's). */
function groupPeak(peak: PeakFlops, worldSize: number, o: ParsedTrainOptions): PeakFlops {
  if (worldSize === 1 || o.peakFlopsPerSec !== undefined) return peak;
  return { ...peak, flopsPerSec: peak.flopsPerSec * worldSize, source: `${peak.source}, × ${worldSize} ranks` };
}

function symmetryProbe(model: ModelConfig, clone: CloneInfo): SymmetryProbe {
  return (weights) => {
    const report = symmetryReport(weights, model, clone);
    return { mean: report.overall, layers: report.layers };
  };
}

/**
 * Pure symmetric cloning without dropout keeps the copies identical forever: say so. A rotated clone
 * is exempt: AdamW's elementwise steps in the rotated basis are not copies in the clone's basis.
 */
function warnAboutSymmetry(config: RunConfig, log: Logger): void {
  const clones = [config.init.clone, ...config.stages.slice(1).map((st) => st.clone)];
  for (const [i, clone] of clones.entries()) {
    if (!clone || config.model.dropout > 0 || clone.variant.startsWith('noisy') || clone.rotate) continue;
    if (clone.width === 1 && clone.ffn === 1) continue; // nothing was copied (a depth growth alone)
    const what = i === 0 ? `this ${clone.variant} clone` : `the ${clone.variant} growth after step ${config.stages[i]!.fromStep}`;
    log.warn(
      { event: 'symmetry', variant: clone.variant, dropout: config.model.dropout, stage: i },
      `${what} trains without dropout or noise, so its cloned copies get identical updates and stay exact copies (the extra width is never used); set dropout > 0, or clone with a noisy variant or --rotate`,
    );
  }
}
