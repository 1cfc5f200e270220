// The steps a growth takes, in order, each as its plan (the config after it and what it adds to the clone
// record, from configs alone) and its weights: the width clone, then the new blocks, then the rotation.
// A new kind of growth is a new step here (and its fields in growth-spec.ts). Not the order's callers
// (plan-growth.ts, apply-growth.ts) and not the arithmetic (clone-weights.ts, depth-growth.ts, rotate-weights.ts).

import type { CloneInfo, Logger, ModelConfig, StateDict } from '@hyperclone/core';
import { cloneConfig } from '../clone-config.js';
import { cloneWeights, widthCloneInfo, widthGrowth } from '../clone-weights.js';
import { deepConfig, depthPlan, growDepth } from '../depth-growth.js';
import { foldedConfig } from '../fold-norms.js';
import { rotateWeights } from '../rotate-weights.js';
import type { GrowthSpec } from './growth-spec.js';

export interface StepPlan {
  config: ModelConfig;
  /** What the step adds to the clone record. */
  record: Partial<CloneInfo>;
}

export interface StepWeights {
  config: ModelConfig;
  weights: StateDict;
  /** Parameters where a diagonal variant fell back to symmetric (the width step). */
  fallbacks?: string[];
}

export interface GrowthStep {
  name: 'width' | 'depth' | 'rotate';
  /** Whether the spec takes this step. */
  takes(spec: GrowthSpec): boolean;
  plan(config: ModelConfig, spec: GrowthSpec): StepPlan;
  apply(config: ModelConfig, weights: StateDict, spec: GrowthSpec, logger?: Logger): StepWeights;
}

/**
 * Width first (clone-rules.ts; it always runs, since it also unties a tied source for the rotation and
 * starts the record), so the new blocks of a depth growth are fresh at the wide size rather than copies;
 * the rotation last, over the whole grown stream. Each step but `newBlocks: 'copy'` keeps the function.
 */
export const GROWTH_STEPS: readonly GrowthStep[] = [
  {
    name: 'width',
    takes: () => true,
    plan: (config, spec) => ({ config: cloneConfig(widthGrowth(config, spec), spec.tie), record: widthCloneInfo(config, spec) }),
    apply: (config, weights, spec, logger) => cloneWeights(config, weights, { ...spec, ...(logger ? { logger } : {}) }),
  },
  {
    name: 'depth',
    takes: (spec) => spec.depth > 1,
    plan: (config, spec) => {
      const plan = { multiplier: spec.depth, placement: spec.placement, newBlocks: spec.newBlocks };
      const sourceBlocks = depthPlan(config.nLayer, plan);
      return { config: deepConfig(config, sourceBlocks, spec.newBlocks), record: { depth: { ...plan, sourceBlocks } } };
    },
    apply: (config, weights, spec) =>
      growDepth(config, weights, { multiplier: spec.depth, placement: spec.placement, newBlocks: spec.newBlocks, seed: spec.seed }),
  },
  {
    name: 'rotate',
    takes: (spec) => spec.rotate,
    plan: (config) => ({ config: foldedConfig(config), record: { rotate: true } }),
    apply: (config, weights, spec) => rotateWeights(config, weights, spec.seed),
  },
];
