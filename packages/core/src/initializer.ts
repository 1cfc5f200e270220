// The Initializer contract: a value that says where a model's weights come from and makes them on demand.
// Not any particular initializer (randomInit, hyperclone, fromCheckpoint live in @hyperclone/init).

import type { ModelConfig } from './config.js';
import type { StateDict } from './host-tensor.js';
import type { TokenizerIdentity } from './tokenizer-identity.js';

/** How a hyperclone was made, enough to map each wide parameter back to its source blocks. */
export interface CloneInfo {
  width: number;
  ffn: number;
  /** Query-head multiplier, head_dim fixed (absent in older records: width). */
  heads?: number;
  /** Key/value-head multiplier; null or absent: as the query heads, a single (MQA) kv head staying single. */
  kvHeads?: number | null;
  variant: 'symmetric' | 'noisy-symmetric' | 'diagonal' | 'noisy-diagonal';
  snrDb: number | null;
  tie: 'keep' | 'untie' | null;
  seed: number;
  sourceConfig: ModelConfig;
  /** Depth growth after the width clone (absent: the depth is the source's). */
  depth?: DepthGrowth;
  /**
   * The residual stream was rotated last by the orthogonal matrix drawn from `seed` (init's
   * randomOrthogonal), after the norms were folded (absent: false). Undo it to see the copies.
   */
  rotate?: boolean;
}

/** How new blocks were added to a width clone (init's growDepth). */
export interface DepthGrowth {
  /** nLayer of the grown model over the source's, an integer >= 1. */
  multiplier: number;
  /** interleave: each block followed by its new ones; stack: the new blocks on top of the old. */
  placement: 'interleave' | 'stack';
  /** identity: random readers, zero output projections (the function is kept); copy: copies of trained blocks (G_stack; not kept). */
  newBlocks: 'identity' | 'copy';
  /** For each block of the grown model: the width clone's block it holds, or null for a new identity block. */
  sourceBlocks: (number | null)[];
}

export interface InitializedModel {
  config: ModelConfig;
  weights: StateDict;
  /** Provenance written into every checkpoint's config.json ({kind, seed, source, ...}). */
  origin: Record<string, unknown>;
  /** Present when the weights are a hyperclone (possibly of a clone: the last step). */
  clone?: CloneInfo;
  /** Files that travel with the weights (a Hugging Face model's tokenizer files), by file name. */
  files?: Record<string, Uint8Array>;
  /** The tokenizer the weights were trained with; absent for an untrained init. */
  tokenizer?: TokenizerIdentity;
}

/** What an initializer will make, known before it allocates anything (the memory check reads it). */
export interface InitPlan {
  /** The config load() gives. */
  config: ModelConfig;
  /**
   * Host bytes load() holds at its peak, by part: `{weights}`, or a clone's `{source, output}` (every
   * growth step's output), a resume's `{weights, moments}`. core's loadBytes sums them.
   */
  load: Record<string, number>;
}

export interface Initializer {
  /** 'random' | 'hyperclone' | 'checkpoint' | 'huggingface' (summary.json's `init`). */
  readonly kind: string;
  /**
   * The config and load size without making the weights (reads at most a config.json). Optional: an
   * initializer without it is not checked before it loads.
   */
  plan?(): Promise<InitPlan>;
  /** Makes the weights. May be called more than once; the same initializer gives the same weights. */
  load(): Promise<InitializedModel>;
}
