// Reading a model directory whichever kind it is: one of our checkpoints, or a Hugging Face model as it is.
// Not training state (the trainer's resume reads optimizer.safetensors and trainer-state.json itself).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { isHuggingFaceDir, readHuggingFace } from '@hyperclone/hf';

/** True for a directory any checkpoint-reading command accepts: ours, or a Hugging Face model's. */
export function isModelDir(dir: string): boolean {
  return isHuggingFaceDir(dir) || (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors')));
}

/** Our checkpoint, or a Hugging Face directory imported in memory (config, weights, origin, tokenizer files). */
export async function loadModelDir(dir: string, { withTrainingState = false } = {}): Promise<Checkpoint> {
  if (!isHuggingFaceDir(dir)) return loadCheckpoint(dir, { withTrainingState });
  const m = await readHuggingFace(dir);
  return { config: m.config, weights: m.weights, origin: m.origin, files: m.files };
}
