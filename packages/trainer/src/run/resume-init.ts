// resumeInitializer: the initializer of an existing run, read back from its config.json, so a run
// can be resumed knowing only its directory (`hyperclone train --out RUN --resume`); it carries the saved
// config along, so a resume reads config.json once. Not the resume itself: trainFrom({ resume: true })
// restores moments, sampler and accounting from the checkpoint.

import { resolve } from 'node:path';
import type { Initializer, InitializedModel } from '@hyperclone/core';
import { loadCheckpoint, weightBytes } from '@hyperclone/core';
import { initializerFromOrigin } from '@hyperclone/init';
import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { RunConfig } from './run-config.js';
import { RunFiles } from './run-files.js';

/** The run's saved config (config.json), checked; throws with a hint when runDir is not a run. */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  return new RunFiles(resolve(runDir)).readConfig();
}

/** An initializer that resumes a run, with the run's saved config (what trainFrom compares the new one with). */
export interface ResumeInitializer extends Initializer {
  readonly saved: RunConfig;
}

/** The saved config a resume initializer carries, or null for any other initializer. */
export function savedRunOf(init: Initializer): RunConfig | null {
  const saved = (init as Partial<ResumeInitializer>).saved;
  return saved && typeof saved === 'object' ? saved : null;
}

/**
 * The weights of the run's newest usable checkpoint (trainFrom warns about newer ones it passes over).
 * A run that stopped before its first checkpoint gets its initial weights again: a random init from the
 * saved seed, or the clone of the saved source; a run started from a checkpoint needs that --init again.
 * Give the run's directory, or its config already read (readRunConfig).
 */
export async function resumeInitializer(run: string | RunConfig): Promise<ResumeInitializer> {
  const config = typeof run === 'string' ? await readRunConfig(run) : run;
  const runDir = config.out;
  const w = weightBytes(config.model);
  return {
    kind: config.init.kind,
    saved: config,
    // the weights are read twice (here, and with the moments by trainFrom's resume)
    plan: async () => ({ config: config.model, load: { weights: 2 * w, moments: 2 * w } }),
    load: async (): Promise<InitializedModel> => {
      const store = new CheckpointStore(runDir, config.keepLast);
      const found = await store.newestUsable(
        (c) => loadCheckpoint(c.path, { withTrainingState: false }),
        () => undefined,
        runDir,
      );
      if (!found) return initialModel(config, runDir);
      const model: InitializedModel = { config: config.model, weights: found.value.weights, origin: config.init.origin };
      if (config.init.clone) model.clone = config.init.clone;
      return model;
    },
  };
}

/**
 * The initial weights made again as config.json records them: a random init from its seed, a clone from
 * its source and its GrowthSpec (init's initializerFromOrigin). A run started with --init CKPT is not
 * remade: its record does not say where the checkpoint was.
 */
async function initialModel(config: RunConfig, runDir: string): Promise<InitializedModel> {
  const origin = config.init.origin;
  let model: InitializedModel;
  try {
    if (config.init.kind !== 'random' && config.init.kind !== 'hyperclone')
      throw new Error(`init ${config.init.kind} reads a checkpoint, which config.json does not name`);
    model = await initializerFromOrigin(origin, config.model).load();
  } catch (e) {
    throw new Error(
      `${runDir} stopped before its first checkpoint and its initial weights cannot be made again from config.json (${(e as Error).message}); start it over in place with the same --model or --init, without --resume`,
    );
  }
  return { ...model, config: config.model, origin };
}
