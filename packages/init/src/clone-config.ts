// The wide model's config: dModel and heads times width, dFF times ffn, head_dim and depth unchanged.
// Not the weights (clone-weights.ts).

import type { ModelConfig } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';
import { AXIS_RULES, type Growth, tiedHeadGrowth } from './clone-rules.js';
import type { TieMode } from './clone-options.js';

/**
 * Each size grows as its axis does (clone-rules.ts): heads by the q and kv axes' copies since
 * head_dim is fixed, so destination head r·H + h copies source head h and a single kv head (MQA)
 * stays single. A tied source either stays tied with its logits scaled back by what the clone did to
 * the head's logits ('keep': 1/width, 1/sqrt(width) with Gemma's scaled embedding, 1 when the head reads
 * OPT-350M's unwidened embedding axis) or gets a separate head ('untie'). Nothing else in the config
 * depends on the width: head_dim, the attention scale, soft-caps, windows and rope scaling stay.
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
  if (source.tieEmbeddings && tie === 'keep') {
    const growth = tiedHeadGrowth(source, g);
    if (growth !== 1) config.logitScale = source.logitScale / growth;
  }
  if (source.tieEmbeddings && tie === 'untie') config.tieEmbeddings = false;
  validateConfig(config);
  return config;
}
