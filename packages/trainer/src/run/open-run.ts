// Opens a run: loads the initializer, the data and the tasks, resolves the run config, and for --resume
// loads and checks the latest checkpoint, all before the first file is written, so bad input leaves nothing
// behind; then makes the parts and hands each its state. Not the loop (training-run.ts).

import { resolve } from 'node:path';
import type { Checkpoint, Initializer, Logger, StateDict } from '@hyperclone/core';
import { checkSameTokenizer, loadCheckpoint } from '@hyperclone/core';
import { Accounting } from '../accounting/accounting.js';
import { resolvePeak, type PeakFlops } from '../accounting/peaks.js';
import { RunAccounting } from '../accounting/run-accounting.js';
import { targetTask } from '../accounting/targets.js';
import { Checkpointer } from '../checkpoints/checkpointer.js';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { recoverRun } from '../checkpoints/run-recovery.js';
import type { TrainerState } from '../checkpoints/trainer-state.js';
import { checkTrainerState, loadTrainerState } from '../checkpoints/trainer-state.js';
import { datasetSource, tokenizerOf, type DataSource } from '../data/data-source.js';
import { ranksOf, type Ranks } from '../distributed/ranks.js';
import { Evaluator } from '../evaluation/evaluator.js';
import type { Task } from '../evaluation/tasks.js';
import { loadTask } from '../evaluation/tasks.js';
import { hookSink } from '../metrics/hook-sink.js';
import { jsonlSink } from '../metrics/jsonl-sink.js';
import { logSink } from '../metrics/log-sink.js';
import { RunSinks } from '../metrics/metrics-sink.js';
import { stageIndexAt } from '../model/grow-stages.js';
import { ModelPart } from '../model/model-part.js';
import type { ParsedTrainOptions } from '../options/options.js';
import { trajectoryMismatch } from '../options/resume-rules.js';
import { RunSchedule } from '../schedule/schedule.js';
import { checkTrainMemory } from './memory-check.js';
import { savedRunOf } from './resume-init.js';
import type { RunConfig } from './run-config.js';
import { resolveRunConfig } from './run-config.js';
import { RunFiles } from './run-files.js';
import { TrainingRun, type RunParts } from './training-run.js';

interface Resumed {
  path: string;
  ckpt: Checkpoint;
  state: TrainerState;
}

/** The run, open and agreed on by every rank, its config.json written; `resumedFrom` is the checkpoint's step. */
export async function openRun(
  init: Initializer,
  o: ParsedTrainOptions,
  log: Logger,
): Promise<{ run: TrainingRun; resumedFrom: number | null }> {
  const ranks = ranksOf(o.distributed, o.backend);
  let opened: Opened;
  try {
    opened = await openParts(init, o, log, ranks);
  } catch (e) {
    ranks.agreeToStart({}, e as Error); // tells the other ranks why, then throws
    throw e;
  }
  const { run, resumed, files } = opened;
  const resumedFrom = resumed?.state.step ?? null;
  try {
    ranks.agreeToStart(startFingerprint(run.p.config, resumed), null);
    ranks.broadcast(run.p.model.tensors()); // every rank starts from rank 0's weights and moments
    await ranks.onMain(async () => {
      if (resumed) await files.truncateAfter(resumed.state.step, (message) => log.warn({ event: 'recovery' }, message));
      else if (o.resume || opened.restart) await files.startOver();
    });
    await run.start(resumedFrom);
  } catch (e) {
    run.dispose();
    throw e;
  }
  return { run, resumedFrom };
}

interface Opened {
  run: TrainingRun;
  resumed: Resumed | null;
  files: RunFiles;
  /** The directory held a run that stopped before its first checkpoint: it starts over in place. */
  restart: boolean;
}

/** Everything a run needs, checked and loaded, before anything is written. */
async function openParts(init: Initializer, o: ParsedTrainOptions, log: Logger, ranks: Ranks): Promise<Opened> {
  const warn = (message: string): void => log.warn({ event: 'recovery' }, message);
  const files = new RunFiles(resolve(o.out));
  const store = new CheckpointStore(files.runDir, o.keepLast);
  const restart = o.resume ? false : (await files.checkFresh(store)) === 'restart';
  await checkTrainMemory(init, o); // before the weights exist
  const model = await init.load();
  const modelConfig = o.dropout === undefined ? model.config : { ...model.config, dropout: o.dropout };
  const source = o.dataSource ? borrowed(o.dataSource) : await datasetSource(o.data);
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
      dataset: source.info,
    });
    checkSameTokenizer(model.tokenizer ?? null, tokenizerOf(source.info), `the initial model (init ${init.kind})`, o.data);
    tasks = await loadTasks(config);
    // under the run's lock no one else writes here; in a group rank 0 alone repairs
    if ((o.resume || restart) && ranks.main) await recoverRun(files.runDir, warn);
    resumed = o.resume ? await loadResume(files, store, config, init, log) : null;
  } catch (e) {
    source.close();
    throw e;
  }
  if (restart) warn(`${files.runDir} holds a run that stopped before its first checkpoint; starting it over`);
  warnAboutSymmetry(config, log);
  const stage = resumed ? stageIndexAt(config.stages, resumed.state.step) : 0;
  const carried = resumed?.ckpt.files ?? model.files ?? {};
  const weights = resumed?.ckpt.weights ?? model.weights;
  const parts = await makeParts(o, config, { source, files, store, tasks, log, ranks, carried, stage, weights }).catch((e: unknown) => {
    source.close();
    throw e;
  });
  const run = new TrainingRun(parts);
  try {
    if (resumed) {
      parts.model.loadStateDict({ optimizer: resumed.ckpt.optimizer! }, resumed.path);
      loadTrainerState(parts, resumed.state, resumed.path);
      parts.checkpointer.loadStateDict({ lastSaved: { step: resumed.state.step, path: resumed.path } });
    }
  } catch (e) {
    run.dispose();
    throw e;
  }
  return { run, resumed, files, restart };
}

/** A caller's data source: the run reads it and leaves closing it to the caller. */
function borrowed(s: DataSource): DataSource {
  return { info: s.info, dir: s.dir, open: (o) => s.open(o), close: () => undefined };
}

interface PartInputs {
  source: DataSource;
  files: RunFiles;
  store: CheckpointStore;
  tasks: Task[];
  log: Logger;
  ranks: Ranks;
  carried: Record<string, Uint8Array>;
  /** The stage `weights` belong to (a resumed run: its checkpoint's). */
  stage: number;
  weights: StateDict;
}

/** Each part of the run, made from the config; a resume then hands them their saved states. */
async function makeParts(o: ParsedTrainOptions, config: RunConfig, i: PartInputs): Promise<RunParts> {
  const b = o.backend;
  const { ranks, log } = i;
  const peak = groupPeak(
    resolvePeak(b, config.precision, o.peakFlopsPerSec, (msg) => log.warn({ event: 'peak' }, msg)),
    config.worldSize,
    o,
  );
  log.info({ event: 'peak', peakFlopsPerSec: peak.flopsPerSec, source: peak.source }, 'MFU peak');
  const data = i.source.open({ ...config, rank: ranks.rank, worldSize: config.worldSize });
  const tokenizer = i.tasks.length > 0 ? await data.tokenizer() : null;
  const { batchSize, seqLen, gradClip } = config;
  const model = new ModelPart(b, {
    stages: config.stages,
    stage: i.stage,
    weights: i.weights,
    adamw: { beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay },
    // batchSize is the global micro-batch: each of W ranks computes its batchSize / W rows
    shape: {
      batchSize: batchSize / ranks.worldSize,
      seqLen,
      gradClip,
      ...(ranks.reduceGradients ? { reduceGradients: ranks.reduceGradients } : {}),
    },
    initClone: config.init.clone,
  });
  const cost = new Accounting(config.stages[i.stage]!.flopsPerToken, config.backend.device.count, peak.flopsPerSec, {
    measured: peak.measured,
    onRaised: (from, to) =>
      log.info(
        { event: 'peak-raised', fromFlopsPerSec: from, toFlopsPerSec: to },
        `training ran at ${(to / 1e9).toFixed(1)} GFLOP/s, above the measured matmul peak of ${(from / 1e9).toFixed(1)}: MFU is against ${(to / 1e9).toFixed(1)} from here`,
      ),
  });
  return {
    config,
    ranks,
    model,
    source: i.source,
    data,
    schedule: new RunSchedule({
      kind: config.schedule,
      lr: config.lr,
      minLr: config.minLr,
      warmupSteps: config.warmup,
      totalSteps: config.steps,
      decayFraction: config.decayFraction,
      ...(config.stages.length > 1
        ? { restarts: config.stages.slice(1).map((st) => ({ step: st.fromStep, warmupSteps: st.warmup })) }
        : {}),
    }),
    accounting: new RunAccounting(config, cost),
    evaluator: new Evaluator(b, ranks, {
      windows: data.evalSet,
      batchSize: config.evalBatchSize,
      tasks: i.tasks,
      tokenizer,
      taskLimit: config.taskLimit,
    }),
    checkpointer: new Checkpointer(i.store, ranks),
    // the record of truth first; rank 0 alone writes (the run emits on rank 0 only)
    sinks: new RunSinks([jsonlSink(i.files), logSink(log), hookSink(o), ...o.sinks]),
    carried: i.carried,
    peakSource: peak.source,
  };
}

/** What every rank of a group must agree on: the fields that steer the loop, and where it resumes. */
function startFingerprint(c: RunConfig, resumed: Resumed | null): Record<string, unknown> {
  const { model, dataset, steps, batchSize, seqLen, gradAccum, lr, minLr, warmup, schedule, seed, sampler } = c;
  const { evalEvery, evalWindows, evalSeed, evalAtStart, stopAfter, target, stopAtTarget, worldSize } = c;
  return {
    ...{ model, dataset, steps, batchSize, seqLen, gradAccum, lr, minLr, warmup, schedule, seed, sampler },
    ...{ evalEvery, evalWindows, evalSeed, evalAtStart, stopAfter, target, stopAtTarget, worldSize },
    resumedFromStep: resumed?.state.step ?? null,
  };
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
 * The newest usable checkpoint of the run, checked against the run's saved config (the one a resume
 * initializer carries, else config.json) and the new one; a newer one that does not load is passed over with
 * a warning. Null when the run has no checkpoint at all (it stopped before its first): it then starts over.
 */
async function loadResume(
  files: RunFiles,
  store: CheckpointStore,
  config: RunConfig,
  init: Initializer,
  log: Logger,
): Promise<Resumed | null> {
  const saved = savedRunOf(init) ?? (await files.readConfig());
  const mismatch = trajectoryMismatch(saved, config);
  if (saved.init.kind !== init.kind) mismatch.unshift(`init (saved ${saved.init.kind}, now ${init.kind})`);
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

/** A measured or table peak is one rank's: the group's is worldSize times it (a given peak is the whole run's). */
function groupPeak(peak: PeakFlops, worldSize: number, o: ParsedTrainOptions): PeakFlops {
  if (worldSize === 1 || o.peakFlopsPerSec !== undefined) return peak;
  return { ...peak, flopsPerSec: peak.flopsPerSec * worldSize, source: `${peak.source}, × ${worldSize} ranks` };
}

/**
 * Pure symmetric cloning without dropout keeps the copies identical forever: say so. A rotated clone
 * is exempt: AdamW's elementwise steps in the rotated basis are not copies in the clone's basis.
 */
function warnAboutSymmetry(config: RunConfig, log: Logger): void {
  const clones = [config.init.clone, ...config.stages.slice(1).map((st) => st.clone)];
  for (const [i, clone] of clones.entries()) {
    if (!clone || config.model.dropout > 0 || clone.variant.startsWith('noisy') || clone.rotate) continue;
    if (clone.width === 1 && clone.ffn === 1 && (clone.heads ?? clone.width) === 1) continue; // nothing was copied (a depth growth alone)
    const what = i === 0 ? `this ${clone.variant} clone` : `the ${clone.variant} growth after step ${config.stages[i]!.fromStep}`;
    log.warn(
      { event: 'symmetry', variant: clone.variant, dropout: config.model.dropout, stage: i },
      `${what} trains without dropout or noise, so its cloned copies get identical updates and stay exact copies (the extra width is never used); set dropout > 0, or clone with a noisy variant or --rotate`,
    );
  }
}
