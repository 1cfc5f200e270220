// fromCheckpoint: an initializer that reads the weights of a saved checkpoint directory (or a Hugging Face one).
// Not the trainer's resume (optimizer moments and trainer state are left on disk for it).

import type { Initializer, InitializedModel } from '@hyperclone/core';
import { readCheckpointConfig, weightBytes } from '@hyperclone/core';
import { isHuggingFaceDir } from '@hyperclone/hf';
import { cloneInfoFromOrigin } from './clone-info.js';
import { fromHuggingFace } from './from-hugging-face.js';
import { loadModelDir } from './model-dir.js';

/** A checkpoint directory; a Hugging Face model directory is read as it is (fromHuggingFace). */
export function fromCheckpoint(dir: string): Initializer {
  if (typeof dir !== 'string' || dir.length === 0) throw new Error('fromCheckpoint needs a checkpoint directory path');
  if (isHuggingFaceDir(dir)) return fromHuggingFace(dir);
  return {
    kind: 'checkpoint',
    plan: async () => {
      const config = await readCheckpointConfig(dir);
      return { config, load: { weights: weightBytes(config) } };
    },
    load: async (): Promise<InitializedModel> => {
      const ckpt = await loadModelDir(dir);
      const origin = ckpt.origin ?? { kind: 'unknown', checkpoint: dir };
      const model: InitializedModel = { config: ckpt.config, weights: ckpt.weights, origin };
      const clone = cloneInfoFromOrigin(origin);
      if (clone) model.clone = clone;
      if (ckpt.files) model.files = ckpt.files;
      if (ckpt.tokenizer) model.tokenizer = ckpt.tokenizer;
      return model;
    },
  };
}
