// The shape of a Hugging Face family adapter: config fields and tensor names, both directions.
// Not any one family (families/*.ts) and not the reading or writing of files (import-model.ts, export-model.ts).

import type { ModelConfig } from '@hyperclone/core';
import type { HfFields } from './hf-fields.js';
import type { TensorBinding } from './tensor-binding.js';

export type FamilyName = 'gpt2' | 'llama' | 'gpt_neox' | 'opt' | 'gemma' | 'olmo' | 'phi' | 'phi3';

export interface ImportedConfig {
  config: ModelConfig;
  /** Things the user should know (a dropout taken as the largest of several rates, ...). */
  notes: string[];
}

/** What a family needs besides our config to write a config.json. */
export interface ExportContext {
  /** The architecture the model was imported from, when it can still express the model (Mistral, Qwen2). */
  architecture: string | null;
  /** bos/eos/pad token ids carried from the import, when there was one. */
  tokenIds: Record<string, number | number[] | null>;
}

export interface Family {
  name: FamilyName;
  /** For messages: 'GPT-2'. */
  label: string;
  /** `architectures[0]` values this adapter reads, and the model_type each goes with. */
  architectures: Readonly<Record<string, string>>;
  /** Prefixes of the base model's tensors in files: the first is what export writes (GPT-2's hub files have none). */
  prefixes: readonly string[];
  /** Our config from the Hugging Face one; refuses (HfUnsupportedError) anything it cannot compute exactly. */
  toConfig(f: HfFields, architecture: string): ImportedConfig;
  /** Why this family cannot hold `config` (logitScale aside: export folds it), or null when it can. */
  cannotExpress(config: ModelConfig): string | null;
  /** The config.json fields for `config` (architectures, model_type and dtype are added by the caller). */
  fromConfig(config: ModelConfig, context: ExportContext): { architecture: string; fields: Record<string, unknown> };
  /** Every tensor of the model, names relative to the prefix when `base` (the head's are not prefixed). */
  bindings(config: ModelConfig): (TensorBinding & { base: boolean })[];
  /** Tensors files may hold that carry no weights (causal-mask and rotary buffers). */
  buffers: readonly RegExp[];
}
