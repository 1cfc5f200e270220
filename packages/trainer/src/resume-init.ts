// resumeInitializer: the initializer of an existing run, read back from its config.json, so a run
// can be resumed knowing only its directory (`hyperclone train --out RUN --resume`). Not the resume
// itself: trainFrom({ resume: true }) restores moments, sampler and accounting from the checkpoint.

import { resolve } from 'node:path';
import type { Initializer, InitializedModel } from '@hyperclone/core';
import { loadCheckpoint, weightBytes } from '@hyperclone/core';
import { hyperclone, randomInit } from '@hyperclone/init';
import { CheckpointStore } from './checkpoint-store.js';
import type { RunConfig } from './run-config.js';
import { RunFiles } from './run-files.js';

/** The run's saved config (config.json), checked; throws with a hint when runDir is not a run. */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  return new RunFiles(resolve(runDir)).readConfig();
}

/**
 * The weights of the run's newest usable checkpoint (trainFrom warns about newer ones it passes over).
 * A run that stopped before its first checkpoint gets its initial weights again: a random init from the
 * saved seed, or the clone of the saved source; a run started from a checkpoint needs that --init again.
 */
export async function resumeInitializer(runDir: string): Promise<Initializer> {
  const config = await readRunConfig(runDir);
  const w = weightBytes(config.model);
  return {
    kind: config.init.kind,
    // the weights are read twice (here, and with the moments by trainFrom's resume)
    plan: async () => ({ config: config.model, load: { weights: 2 * w, moments: 2 * w } }),
    load: async (): Promise<InitializedModel> => {
      const store = new CheckpointStore(resolve(runDir), config.keepLast);
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

async function initialModel(config: RunConfig, runDir: string): Promise<InitializedModel> {
  const origin = config.init.origin;
  let init: Initializer;
  if (config.init.kind === 'random' && Number.isInteger(origin['seed']))
    init = randomInit(config.model, { seed: origin['seed'] as number });
  else if (config.init.kind === 'hyperclone' && config.init.clone && typeof origin['sourceCheckpoint'] === 'string') {
    const { width, ffn, variant, snrDb, tie, seed } = config.init.clone;
    init = hyperclone(origin['sourceCheckpoint'], {
      width,
      ffn,
      variant,
      seed,
      ...(snrDb !== null ? { snrDb } : {}),
      ...(tie ? { tie } : {}),
    });
  } else
    throw new Error(
      `${runDir} stopped before its first checkpoint and its initial weights cannot be rebuilt from config.json (init ${config.init.kind}); start it over in place with the same --model or --init, without --resume`,
    );
  const model = await init.load();
  return { ...model, config: config.model, origin };
}
