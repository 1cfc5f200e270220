// Which HyperCloning rule each canonical parameter follows, and its output/input multipliers.
// Not the arithmetic (tile.ts, clone-noise.ts): a lookup from a parameter's role to its rule.

import type { ModelConfig } from '@hyperclone/core';

/**
 * embedding: tile(E, 1, n) with no division (tok_emb, pos_emb).
 * head: tile(W, 1, n) / n (an untied lm_head: logits are not expanded).
 * linear: tile(W, nOut, nIn) / nIn (every hidden projection).
 * vector: tile(v, nOut) (linear biases, norm weights and biases).
 */
export type CloneRuleKind = 'embedding' | 'head' | 'linear' | 'vector';

export interface CloneRule {
  kind: CloneRuleKind;
  nOut: number;
  nIn: number;
}

const LINEAR = /^blocks\.\d+\.(attn\.(q|k|v|o)|mlp\.(up|gate|down))\.(weight|bias)$/;
const NORM = /^(blocks\.\d+\.norm[12]|norm_f)\.(weight|bias)$/;

/** The rule for one parameter of the source model (source config, width n_e, ffn n_f). */
export function cloneRule(name: string, source: ModelConfig, width: number, ffn: number): CloneRule {
  if (name === 'tok_emb.weight' || name === 'pos_emb.weight') return { kind: 'embedding', nOut: 1, nIn: width };
  if (name === 'lm_head.weight') return { kind: 'head', nOut: 1, nIn: width };
  if (NORM.test(name)) return { kind: 'vector', nOut: width, nIn: 1 };
  const m = LINEAR.exec(name);
  if (!m) throw new Error(`hyperclone has no rule for parameter "${name}"; is it a canonical name (see DESIGN.md)?`);
  const role = m[2] ?? m[3];
  const kvOut = source.nKvHead === 1 ? 1 : width; // MQA: the single kv head stays single
  const [nOut, nIn] =
    role === 'k' || role === 'v'
      ? [kvOut, width]
      : role === 'up' || role === 'gate'
        ? [ffn, width]
        : role === 'down'
          ? [width, ffn]
          : [width, width];
  return m[4] === 'bias' ? { kind: 'vector', nOut, nIn: 1 } : { kind: 'linear', nOut, nIn };
}
