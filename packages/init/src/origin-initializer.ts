// initializerFromOrigin: the initializer an origin record describes, made again from the record alone: a
// random init from its seed, a clone from its source (the recorded source checkpoint, else the source's own
// origin, recursively) and the GrowthSpec its clone record holds. What a run that stopped before its first
// checkpoint is restarted from. Not checkpoints: an origin does not say where a checkpoint was read from.

import { resolve } from 'node:path';
import type { Initializer, InitializedModel, ModelConfig } from '@hyperclone/core';
import { cloneInfoFromOrigin } from './clone-info.js';
import { growthOfClone } from './growth/growth-spec.js';
import { hyperclone, type CloneSource } from './hyperclone.js';
import { isModelDir } from './model-dir.js';
import { randomInit } from './random-init.js';

/**
 * An initializer that makes `config`'s model again as `origin` says it was made (dropout aside, which a run
 * may override). Throws, saying why, when the record is not enough: trained weights (an origin with
 * `trainedBy` whose checkpoint is gone), a checkpoint or Hugging Face import, an unknown kind.
 */
export function initializerFromOrigin(origin: Record<string, unknown>, config: ModelConfig): Initializer {
  const made = rebuild(origin, config);
  return {
    kind: made.kind,
    ...(made.plan ? { plan: made.plan } : {}),
    load: async (): Promise<InitializedModel> => {
      const model = await made.load();
      const differ = (Object.keys({ ...config, ...model.config }) as (keyof ModelConfig)[]).filter(
        (k) => k !== 'dropout' && JSON.stringify(model.config[k]) !== JSON.stringify(config[k]),
      );
      if (differ.length)
        throw new Error(`the model made again from its origin differs from the recorded one in ${differ.join(', ')} (its source changed)`);
      return model;
    },
  };
}

function rebuild(origin: Record<string, unknown>, config: ModelConfig): Initializer {
  const kind = origin['kind'];
  if (origin['trainedBy'] !== undefined)
    throw new Error(
      `its weights were trained (${String(origin['trainedBy'])}, step ${String(origin['step'])}), so only their checkpoint holds them`,
    );
  if (kind === 'random') {
    if (!Number.isInteger(origin['seed'])) throw new Error('its random init has no recorded seed');
    return randomInit(config, { seed: origin['seed'] as number });
  }
  if (kind === 'hyperclone') {
    const clone = cloneInfoFromOrigin(origin);
    if (!clone) throw new Error('its clone record (origin.clone) is missing');
    return hyperclone(cloneSource(origin, clone.sourceConfig), growthOfClone(clone));
  }
  throw new Error(`an init of kind ${JSON.stringify(kind)} is read from a checkpoint, which its origin does not name`);
}

/** The recorded source checkpoint when it is still there, else the source made again from its own origin. */
function cloneSource(origin: Record<string, unknown>, sourceConfig: ModelConfig): CloneSource {
  const dir = origin['sourceCheckpoint'];
  if (typeof dir === 'string' && isModelDir(resolve(dir))) return resolve(dir);
  const source = origin['source'];
  try {
    if (typeof source !== 'object' || source === null) throw new Error('its source has no origin record');
    return rebuild(source as Record<string, unknown>, sourceConfig);
  } catch (e) {
    const gone = typeof dir === 'string' ? `its source checkpoint ${dir} is gone and ` : '';
    throw new Error(`${gone}its source cannot be made again: ${(e as Error).message}`);
  }
}
