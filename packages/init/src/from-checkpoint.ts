// fromCheckpoint: an initializer that reads the weights of a saved checkpoint directory.
// Not the trainer's resume (optimizer moments and trainer state are left on disk for it).

import type { Initializer, InitializedModel } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { cloneInfoFromOrigin } from './clone-info.js';

export function fromCheckpoint(dir: string): Initializer {
  if (typeof dir !== 'string' || dir.length === 0) throw new Error('fromCheckpoint needs a checkpoint directory path');
  return {
    kind: 'checkpoint',
    load: async (): Promise<InitializedModel> => {
      const ckpt = await loadCheckpoint(dir, { withTrainingState: false });
      const origin = ckpt.origin ?? { kind: 'unknown', checkpoint: dir };
      const model: InitializedModel = { config: ckpt.config, weights: ckpt.weights, origin };
      const clone = cloneInfoFromOrigin(origin);
      if (clone) model.clone = clone;
      return model;
    },
  };
}
