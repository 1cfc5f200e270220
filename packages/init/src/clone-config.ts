// The wide model's config: dModel and heads times width, dFF times ffn, head_dim and depth unchanged.
// Not the weights (clone-weights.ts).

import type { ModelConfig } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';
import { AXIS_RULES, type Growth } from './clone-rules.js';
import type { TieMode } from './clone-options.js';

/**
 * Each size grows as its axis does (clone-rules.ts): heads by the q and kv axes' copies since
 * head_dim is fixed, so destination head r·H + h copies source head h and a single kv head (MQA)
 * stays single. A tied source either stays tied with its logits scaled by 1/width ('keep') or gets
 * a separate head ('untie').
 */
export function cloneConfig(source: ModelConfig, width: number, ffn: number, tie: TieMode): ModelConfig {
  const g: Growth = { source, width, ffn };
  const config: ModelConfig = {
    ...source,
    dModel: source.dModel * AXIS_RULES.model.copies(g),
    nHead: source.nHead * AXIS_RULES.q.copies(g),
    nKvHead: source.nKvHead * AXIS_RULES.kv.copies(g),
    dFF: source.dFF * AXIS_RULES.ffn.copies(g),
  };
  if (source.tieEmbeddings && tie === 'keep') config.logitScale = source.logitScale / width;
  if (source.tieEmbeddings && tie === 'untie') config.tieEmbeddings = false;
  validateConfig(config);
  return config;
}
