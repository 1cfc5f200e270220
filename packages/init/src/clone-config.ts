// The wide model's config: dModel and heads times width, dFF times ffn, head_dim and depth unchanged.
// Not the weights (clone-weights.ts).

import type { ModelConfig } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';
import type { TieMode } from './clone-options.js';

/**
 * Heads multiply by width (destination head r·H + h copies source head h); a single kv head (MQA)
 * stays single, since every query head may share it. A tied source either stays tied with its
 * logits scaled by 1/width ('keep') or gets a separate head ('untie').
 */
export function cloneConfig(source: ModelConfig, width: number, ffn: number, tie: TieMode): ModelConfig {
  const config: ModelConfig = {
    ...source,
    dModel: source.dModel * width,
    nHead: source.nHead * width,
    nKvHead: source.nKvHead === 1 ? 1 : source.nKvHead * width,
    dFF: source.dFF * ffn,
  };
  if (source.tieEmbeddings && tie === 'keep') config.logitScale = source.logitScale / width;
  if (source.tieEmbeddings && tie === 'untie') config.tieEmbeddings = false;
  validateConfig(config);
  return config;
}
