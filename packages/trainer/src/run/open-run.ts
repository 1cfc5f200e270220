// Opens a run: loads the initializer, the data and the tasks, resolves the run config, and for --resume
// loads and checks the latest checkpoint, all before the first file is written, so bad input leaves nothing
// behind; then makes the parts and hands each its state. Not the loop (training-run.ts).

import { resolve } from 'node:path';
import type { Initializer, Logger } from '@hyperclone/core';
import { checkSameTokenizer } from '@hyperclone/core';
import { targetTask } from '../accounting/targets.js';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { recoverRun } from '../checkpoints/run-recovery.js';
import { loadTrainerState } from '../checkpoints/trainer-state.js';
import { datasetSource, tokenizerOf, type DataSource } from '../data/data-source.js';
import type { Ranks } from '../distributed/ranks.js';
import type { Task } from '../evaluation/tasks.js';
import { loadTask } from '../evaluation/tasks.js';
import { stageIndexAt } from '../model/grow-stages.js';
import type { ParsedTrainOptions } from '../options/options.js';
import { checkTrainMemory } from './memory-check.js';
import { loadResume, type Resumed } from './resume-checkpoint.js';
import type { RunConfig } from './run-config.js';
import { resolveRunConfig } from './run-config.js';
import { RunFiles } from './run-files.js';
import { makeParts } from './run-parts.js';
import { TrainingRun } from './training-run.js';

/** The run, open and agreed on by every rank, its config.json written; `resumedFrom` is the checkpoint's step. */
export async function openRun(
  init: Initializer,
  o: ParsedTrainOptions,
  log: Logger,
  ranks: Ranks,
): Promise<{ run: TrainingRun; resumedFrom: number | null }> {
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
