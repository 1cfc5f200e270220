// applyGrowth: a growth made on the weights, step by step as planGrowth planned it (the width clone, the new
// blocks, the rotation), each step's config checked against the plan. A pure function of host arrays; no
// backend. Not the plan (plan-growth.ts) and not provenance (hyperclone.ts records where the source came from).

import type { CloneInfo, ModelConfig, StateDict } from '@hyperclone/core';
import type { GrowthOptions, GrowthSpec } from './growth-spec.js';
import { GROWTH_STEPS } from './growth-steps.js';
import { planGrowth, type GrowthPlan } from './plan-growth.js';

export interface GrowthResult {
  config: ModelConfig;
  weights: StateDict;
  /** The plan's record of the growth (origin.clone). */
  clone: CloneInfo;
  /** Parameters where a diagonal variant could not apply (nOut != nIn) and the symmetric rule was used. */
  fallbacks: string[];
  plan: GrowthPlan;
}

/** Each step but `newBlocks: 'copy'` keeps the function, so the whole growth does. */
export function applyGrowth(config: ModelConfig, weights: StateDict, options: GrowthOptions | GrowthSpec): GrowthResult {
  const plan = planGrowth(config, options);
  const logger = 'logger' in options ? options.logger : undefined;
  let current = { config, weights };
  let fallbacks: string[] = [];
  for (const planned of plan.steps) {
    const step = GROWTH_STEPS.find((s) => s.name === planned.step)!;
    const made = step.apply(current.config, current.weights, plan.spec, logger);
    if (JSON.stringify(made.config) !== JSON.stringify(planned.config))
      throw new Error(`the ${step.name} step made another model than planGrowth planned (a growth bug: please report it)`);
    current = made;
    fallbacks = [...fallbacks, ...(made.fallbacks ?? [])];
  }
  return { config: current.config, weights: current.weights, clone: plan.clone, fallbacks, plan };
}
