// The wide model's config: dModel times width, heads times their multipliers, dFF times ffn, head_dim and
// depth unchanged. Not the weights (clone-weights.ts).

import type { ModelConfig } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';
import { AXIS_RULES, type Growth, tiedHeadGrowth } from './clone-rules.js';
import type { TieMode } from './growth/growth-spec.js';

/**
 * Each size grows as its axis does (clone-rules.ts): heads by the q and kv axes' copies since
 * head_dim is fixed, so destination head r·H + h copies source head h and a single kv head (MQA)
 * stays single unless told otherwise. A tied source either stays tied with its logits scaled back by what the clone did to
 * the head's logits ('keep': 1/width, 1/sqrt(width) with Gemma's scaled embedding, 1 when the head reads
 * OPT-350M's unwidened embedding axis) or gets a separate head ('untie'). Nothing else in the config
 * depends on the width: head_dim, the attention scale, soft-caps, windows and rope scaling stay.
 */
export function cloneConfig(g: Growth, tie: TieMode): ModelConfig {
  const { source } = g;
  checkKvHeads(g);
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

/**
 * Query head r·H + h must meet a copy of its source kv head: it does when the kv heads grow as the query
 * heads (the group size is kept), and always when there is a single (MQA) kv head to copy.
 */
function checkKvHeads(g: Growth): void {
  if (g.kvHeads === null || g.kvHeads === g.heads || g.source.nKvHead === 1) return;
  throw new Error(
    `hyperclone kvHeads ${g.kvHeads} must equal heads ${g.heads} (each copied query head keeps a copy of its kv head), ` +
      `unless the source has a single (MQA) kv head (it has ${g.source.nKvHead}); drop kvHeads or set it to ${g.heads}`,
  );
}
