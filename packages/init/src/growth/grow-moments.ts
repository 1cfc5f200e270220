// growMoments: AdamW's moments through a whole growth, step by step as planGrowth planned it, each step's
// arithmetic in moments-growth.ts. The trainer's `moments=carry` stages call it. Not the weights (apply-growth.ts).

import type { ModelConfig } from '@hyperclone/core';
import type { Moments } from '../moments-growth.js';
import type { GrowthOptions, GrowthSpec } from './growth-spec.js';
import { GROWTH_STEPS } from './growth-steps.js';
import { planGrowth, type GrowthPlan } from './plan-growth.js';

/** Why AdamW's moments cannot be carried through `plan` (the first step without an exact form: a rotation), or null. */
export function momentsCarryRefusal(plan: GrowthPlan): string | null {
  const step = plan.steps.map((p) => GROWTH_STEPS.find((s) => s.name === p.step)!).find((s) => !s.moments);
  return step
    ? `AdamW's moments cannot be carried through the ${step.name} step (its second moments have no exact form in the new basis); start them at zero (moments=zero) or drop ${step.name}`
    : null;
}

/** The grown model's moments; throws momentsCarryRefusal's reason on a growth whose moments cannot be carried. */
export function growMoments(config: ModelConfig, moments: Moments, options: GrowthOptions | GrowthSpec): Moments {
  const plan = planGrowth(config, options);
  const refusal = momentsCarryRefusal(plan);
  if (refusal) throw new Error(refusal);
  let current = { config, moments };
  for (const planned of plan.steps) {
    const step = GROWTH_STEPS.find((s) => s.name === planned.step)!;
    current = { config: planned.config, moments: step.moments!(current.config, current.moments, plan.spec) };
  }
  return current.moments;
}
