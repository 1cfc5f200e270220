// fromHuggingFace: an initializer whose weights are a Hugging Face model directory's, read as they are.
// Not the adapters (@hyperclone/hf maps each family's fields and tensors) and not export.

import type { Initializer, InitializedModel } from '@hyperclone/core';
import { weightBytes } from '@hyperclone/core';
import { readHfModelConfig, readHuggingFace } from '@hyperclone/hf';

export function fromHuggingFace(dir: string): Initializer {
  if (typeof dir !== 'string' || dir.length === 0) throw new Error('fromHuggingFace needs a Hugging Face model directory path');
  return {
    kind: 'huggingface',
    plan: async () => {
      const config = readHfModelConfig(dir);
      return { config, load: { weights: weightBytes(config) } };
    },
    load: async (): Promise<InitializedModel> => {
      const m = await readHuggingFace(dir);
      return { config: m.config, weights: m.weights, origin: m.origin, files: m.files };
    },
  };
}
