// HyperCloning's rules as two tables: how many copies each axis gets, and how each kind of parameter is scaled.
// Not the arithmetic (tile.ts, clone-noise.ts) and not the parameter list (core's paramSpec gives every weight its axes).

import type { Axis, ModelConfig, ParamKind, ParamSpec } from '@hyperclone/core';
import { paramSpec } from '@hyperclone/core';

/** What an axis rule can depend on: the source config, n_e (width), n_f (ffn) and the head multipliers. */
export interface Growth {
  source: ModelConfig;
  width: number;
  ffn: number;
  /** Query heads times this, head_dim fixed (a growth's spec: width unless it says otherwise). */
  heads: number;
  /** Key/value heads times this; null: as the query heads, except that a single (MQA) kv head stays single. */
  kvHeads: number | null;
}

interface AxisRule {
  /** Copies along this axis: the wide size is the source's times this. */
  copies: (g: Growth) => number;
  /** A hidden axis; the variants (noise, diagonal) act only on matrices whose axes are all hidden. */
  hidden: boolean;
}

/** One row per axis of core's paramSpec. */
export const AXIS_RULES: Readonly<Record<Axis, AxisRule>> = {
  vocab: { copies: () => 1, hidden: false }, // the vocabulary never changes
  positions: { copies: () => 1, hidden: false }, // nor the context length
  model: { copies: (g) => g.width, hidden: true }, // every hidden vector becomes n_e stacked copies
  q: { copies: (g) => g.heads, hidden: true }, // H·n_h heads, head_dim fixed: head r·H + h copies head h
  kv: { copies: (g) => g.kvHeads ?? (g.source.nKvHead === 1 ? 1 : g.heads), hidden: true }, // K·n_h; a single (MQA) kv head stays single
  ffn: { copies: (g) => g.ffn, hidden: true }, // F·n_f
  embed: { copies: () => 1, hidden: true }, // OPT-350M's projected embedding keeps its width: proj_in writes n_e copies, proj_out reads them back
};

/**
 * How each kind of parameter is scaled once it is tiled along its axes. A linear layer divides by
 * the copies of the axis it reads (in): each output block then sums n_in equal input blocks.
 */
export const KIND_RULES: Readonly<Record<ParamKind, (copies: readonly number[], spec: ParamSpec, g: Growth) => number>> = {
  // tile(E, 1, n_e), not divided: the looked-up row is the clone of the small one; a token embedding the
  // forward multiplies by sqrt(dModel) (Gemma) is divided by sqrt(n_e), which the wider sqrt(n_e·dModel) undoes
  embedding: (_copies, spec, g) => (spec.axes[0] === 'vocab' && g.source.scaleEmbedding ? 1 / Math.sqrt(AXIS_RULES.model.copies(g)) : 1),
  linear: ([, nIn]) => 1 / nIn!, // tile(W, n_out, n_in) / n_in (the LM head: tile(W, 1, n_e) / n_e)
  bias: () => 1, // tile(b, n_out)
  norm: () => 1, // tile(g, n_e), Gemma's 1 + w too (1 + tile(w) = tile(1 + w)); eps unchanged
};

export interface CloneRule {
  /** Copies along each dimension of the parameter (for a matrix: [n_out, n_in]). */
  copies: number[];
  /** Multiplies every tiled block. */
  scale: number;
  /** A hidden linear weight: the noisy and diagonal variants apply to it. */
  variants: boolean;
}

/** The rule for one parameter of the wide model's spec. */
export function cloneRule(spec: ParamSpec, g: Growth): CloneRule {
  const copies = spec.axes.map((a) => AXIS_RULES[a].copies(g));
  const variants = spec.kind === 'linear' && spec.axes.every((a) => AXIS_RULES[a].hidden);
  return { copies, scale: KIND_RULES[spec.kind](copies, spec, g), variants };
}

/**
 * What a tied head's logits are multiplied by in the clone: it reads the cloned token embedding (tiled and
 * scaled by its kind's rule) over n_in copies of its input axis, so the logit scale divides by both.
 */
export function tiedHeadGrowth(source: ModelConfig, g: Growth): number {
  const embedding = paramSpec(source).find((s) => s.kind === 'embedding' && s.axes[0] === 'vocab')!;
  const copies = embedding.axes.map((a) => AXIS_RULES[a].copies(g));
  return copies[1]! * KIND_RULES.embedding(copies, embedding, g);
}
