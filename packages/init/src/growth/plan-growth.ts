// planGrowth: what a growth will make, from the source's config alone, before any weight exists: each
// step's config, the grown config, its clone record, parameter count and training FLOPs per token. The
// CLI's clone and grow, the trainer's --grow-at stages, the benchmark's arms and the memory checks read
// it. Not the weights (apply-growth.ts, which follows this plan and checks it).

import type { CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken, validateConfig } from '@hyperclone/core';
import { resolveGrowth, type GrowthOptions, type GrowthSpec } from './growth-spec.js';
import { GROWTH_STEPS, type GrowthStep } from './growth-steps.js';

export interface GrowthPlan {
  spec: GrowthSpec;
  source: ModelConfig;
  /** The config after each step the growth takes, in order (the last is `config`). */
  steps: { step: GrowthStep['name']; config: ModelConfig }[];
  /** The grown model. */
  config: ModelConfig;
  /** The record a grown checkpoint keeps as origin.clone (a diagonal variant's fallbacks aside). */
  clone: CloneInfo;
  params: number;
  /** Training FLOPs per token of the grown model at `seqLen` (default: its context length). */
  flopsPerToken: number;
}

/** Throws, naming the step, on a growth the source cannot take. */
export function planGrowth(source: ModelConfig, options: GrowthOptions | GrowthSpec, { seqLen }: { seqLen?: number } = {}): GrowthPlan {
  const spec = resolveGrowth(options);
  validateConfig(source);
  let config = source;
  let clone = {} as CloneInfo;
  const steps: GrowthPlan['steps'] = [];
  for (const step of GROWTH_STEPS.filter((s) => s.takes(spec))) {
    const planned = step.plan(config, spec);
    validateConfig(planned.config);
    config = planned.config;
    clone = { ...clone, ...planned.record };
    steps.push({ step: step.name, config });
  }
  return {
    spec,
    source,
    steps,
    config,
    clone,
    params: countParams(config),
    flopsPerToken: trainFlopsPerToken(config, seqLen ?? config.contextLength),
  };
}
