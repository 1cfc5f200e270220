// resumeInitializer: the initializer of an existing run, read back from its config.json, so a run
// can be resumed knowing only its directory (`hyperclone train --out RUN --resume`). Not the resume
// itself: trainFrom({ resume: true }) restores moments, sampler and accounting from the checkpoint.

import { resolve } from 'node:path';
import type { Initializer, InitializedModel } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { CheckpointStore } from './checkpoint-store.js';
import type { RunConfig } from './run-config.js';
import { RunFiles } from './run-files.js';

/** The run's saved config (config.json), checked; throws with a hint when runDir is not a run. */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  return new RunFiles(resolve(runDir)).readConfig();
}

export async function resumeInitializer(runDir: string): Promise<Initializer> {
  const config = await readRunConfig(runDir);
  return {
    kind: config.init.kind,
    load: async (): Promise<InitializedModel> => {
      const latest = await new CheckpointStore(resolve(runDir), config.keepLast).latest();
      if (!latest) throw new Error(`cannot resume ${runDir}: it has no checkpoint yet (checkpoints/step-*)`);
      const ckpt = await loadCheckpoint(latest.path, { withTrainingState: false });
      const model: InitializedModel = { config: config.model, weights: ckpt.weights, origin: config.init.origin };
      if (config.init.clone) model.clone = config.init.clone;
      return model;
    },
  };
}
