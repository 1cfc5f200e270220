// hyperclone: an initializer whose weights are a source model grown by one GrowthSpec (wider, more heads,
// deeper, rotated), computing the same function. Not the growth (growth/): this resolves the source and
// records provenance.

import type { Checkpoint, InitPlan, Initializer, InitializedModel, ModelConfig, StateDict, TokenizerIdentity } from '@hyperclone/core';
import { loadBytes, weightBytes } from '@hyperclone/core';
import { fromCheckpoint } from './from-checkpoint.js';
import { applyGrowth } from './growth/apply-growth.js';
import { resolveGrowth, type GrowthOptions, type GrowthSpec } from './growth/growth-spec.js';
import { planGrowth } from './growth/plan-growth.js';
import { loadModelDir } from './model-dir.js';

/** A checkpoint (or Hugging Face) directory, a loaded checkpoint, an initialized model, or any initializer (clones of clones). */
export type CloneSource = string | Checkpoint | InitializedModel | Initializer;

interface SourceModel {
  config: ModelConfig;
  weights: StateDict;
  origin: Record<string, unknown>;
  checkpoint?: string;
  files?: Record<string, Uint8Array>;
  tokenizer?: TokenizerIdentity;
}

export function hyperclone(source: CloneSource, options: GrowthOptions | GrowthSpec): Initializer {
  resolveGrowth(options); // a bad growth fails here, before anything loads
  const kind = describeSource(source);
  const plannable = kind !== 'initializer' || typeof (source as Initializer).plan === 'function';
  return {
    kind: 'hyperclone',
    ...(plannable ? { plan: () => planClone(source, options) } : {}),
    load: async (): Promise<InitializedModel> => {
      const src = await loadSource(source);
      const result = applyGrowth(src.config, src.weights, options);
      const origin: Record<string, unknown> = { kind: 'hyperclone', clone: result.clone, source: src.origin };
      if (src.checkpoint !== undefined) origin['sourceCheckpoint'] = src.checkpoint;
      if (result.fallbacks.length > 0) origin['fallbacks'] = result.fallbacks;
      const model: InitializedModel = { config: result.config, weights: result.weights, origin, clone: result.clone };
      if (src.files) model.files = src.files; // the tokenizer travels with the weights
      if (src.tokenizer) model.tokenizer = src.tokenizer; // the clone reads the source's ids
      return model;
    },
  };
}

/** The source's plan, then every growth step's config: the clone holds the source and each step's output. */
async function planClone(source: CloneSource, options: GrowthOptions | GrowthSpec): Promise<InitPlan> {
  const kind = describeSource(source);
  let src: InitPlan;
  if (kind === 'dir') {
    try {
      src = await fromCheckpoint(source as string).plan!();
    } catch (e) {
      throw new Error(`hyperclone cannot use ${source as string} as its source: ${(e as Error).message}`);
    }
  } else if (kind === 'initializer') src = await (source as Initializer).plan!();
  else {
    const config = (source as Checkpoint | InitializedModel).config;
    src = { config, load: { weights: weightBytes(config) } };
  }
  const plan = planGrowth(src.config, options);
  return { config: plan.config, load: { source: loadBytes(src), output: plan.steps.reduce((n, s) => n + weightBytes(s.config), 0) } };
}

function describeSource(source: CloneSource): 'dir' | 'initializer' | 'model' {
  if (typeof source === 'string') {
    if (source.length === 0) throw new Error('hyperclone source is an empty path; pass a checkpoint directory');
    return 'dir';
  }
  if (typeof source === 'object' && source !== null) {
    if (typeof (source as Initializer).load === 'function') return 'initializer';
    if ('config' in source && 'weights' in source && source.weights instanceof Map) return 'model';
  }
  throw new Error('hyperclone source must be a checkpoint directory, a loaded Checkpoint, an InitializedModel or an Initializer');
}

async function loadSource(source: CloneSource): Promise<SourceModel> {
  const kind = describeSource(source);
  if (kind === 'dir') {
    const dir = source as string;
    let ckpt: Checkpoint;
    try {
      ckpt = await loadModelDir(dir);
    } catch (e) {
      throw new Error(`hyperclone cannot use ${dir} as its source: ${(e as Error).message}`);
    }
    const src: SourceModel = { config: ckpt.config, weights: ckpt.weights, origin: ckpt.origin ?? { kind: 'unknown' }, checkpoint: dir };
    if (ckpt.files) src.files = ckpt.files;
    if (ckpt.tokenizer) src.tokenizer = ckpt.tokenizer;
    return src;
  }
  const model = kind === 'initializer' ? await (source as Initializer).load() : (source as Checkpoint | InitializedModel);
  const src: SourceModel = { config: model.config, weights: model.weights, origin: model.origin ?? { kind: 'unknown' } };
  if (model.files) src.files = model.files;
  if (model.tokenizer) src.tokenizer = model.tokenizer;
  return src;
}
