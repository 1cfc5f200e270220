// The checkpoint a resume continues from: the newest one that loads and holds the run's model at its step,
// checked against the saved run's config (the trajectory settings must match). Not handing the parts their
// states (open-run.ts) and not the folder's layout (checkpoints/checkpoint-store.ts).

import type { Checkpoint, Initializer, Logger } from '@hyperclone/core';
import { checkSameTokenizer, loadCheckpoint } from '@hyperclone/core';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { checkTrainerState, type TrainerState } from '../checkpoints/trainer-state.js';
import { tokenizerOf } from '../data/data-source.js';
import { stageIndexAt } from '../model/grow-stages.js';
import { trajectoryMismatch } from '../options/resume-rules.js';
import { savedRunOf } from './resume-init.js';
import type { RunConfig } from './run-config.js';
import type { RunFiles } from './run-files.js';

export interface Resumed {
  path: string;
  ckpt: Checkpoint;
  state: TrainerState;
}

/**
 * The newest usable checkpoint of the run, checked against the run's saved config (the one a resume
 * initializer carries, else config.json) and the new one; a newer one that does not load is passed over with
 * a warning. Null when the run has no checkpoint at all (it stopped before its first): it then starts over.
 */
export async function loadResume(
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
