// The Initializer contract: a value that says where a model's weights come from and makes them on demand.
// Not any particular initializer (randomInit, hyperclone, fromCheckpoint live in @hyperclone/init).

import type { ModelConfig } from './config.js';
import type { StateDict } from './host-tensor.js';

/** How a hyperclone was made, enough to map each wide parameter back to its source blocks. */
export interface CloneInfo {
  width: number;
  ffn: number;
  variant: 'symmetric' | 'noisy-symmetric' | 'diagonal' | 'noisy-diagonal';
  snrDb: number | null;
  tie: 'keep' | 'untie' | null;
  seed: number;
  sourceConfig: ModelConfig;
}

export interface InitializedModel {
  config: ModelConfig;
  weights: StateDict;
  /** Provenance written into every checkpoint's config.json ({kind, seed, source, ...}). */
  origin: Record<string, unknown>;
  /** Present when the weights are a hyperclone (possibly of a clone: the last step). */
  clone?: CloneInfo;
}

export interface Initializer {
  /** 'random' | 'hyperclone' | 'checkpoint' | 'huggingface' (summary.json's `init`). */
  readonly kind: string;
  /** Makes the weights. May be called more than once; the same initializer gives the same weights. */
  load(): Promise<InitializedModel>;
}
