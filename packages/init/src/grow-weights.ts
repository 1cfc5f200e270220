// growWeights: every growth step in one pure transform: the width clone, then new blocks, then the rotation.
// Not the steps themselves (clone-weights.ts, depth-growth.ts, rotate-weights.ts) and not provenance (hyperclone.ts).

import type { CloneInfo, ModelConfig, StateDict } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';
import { cloneConfig } from './clone-config.js';
import { cloneWeights, widthCloneInfo, type CloneResult } from './clone-weights.js';
import { type CloneOptions, resolveCloneOptions } from './clone-options.js';
import { deepConfig, depthPlan, growDepth } from './depth-growth.js';
import { foldedConfig } from './fold-norms.js';
import { rotateWeights } from './rotate-weights.js';

/**
 * Width first (clone-rules.ts), so the new blocks of a depth growth are fresh at the wide size rather
 * than copies; the rotation last, over the whole grown stream. Each step but `newBlocks: 'copy'`
 * keeps the function, so the composition does. The CloneInfo records all three.
 */
export function growWeights(config: ModelConfig, weights: StateDict, options: CloneOptions): CloneResult {
  const o = resolveCloneOptions(options);
  const result = cloneWeights(config, weights, options);
  if (o.depth > 1) {
    const deep = growDepth(result.config, result.weights, {
      multiplier: o.depth,
      placement: o.placement,
      newBlocks: o.newBlocks,
      seed: o.seed,
    });
    result.config = deep.config;
    result.weights = deep.weights;
    result.clone.depth = deep.depth;
  }
  if (o.rotate) {
    const rotated = rotateWeights(result.config, result.weights, o.seed);
    result.config = rotated.config;
    result.weights = rotated.weights;
    result.clone.rotate = true;
  }
  return result;
}

/** The config after each growth step growWeights takes: the width clone, then the new blocks, then the rotation. */
export function growSteps(config: ModelConfig, options: CloneOptions): ModelConfig[] {
  const o = resolveCloneOptions(options);
  validateConfig(config);
  const steps = [cloneConfig(config, o.width, o.ffn, o.tie)];
  if (o.depth > 1) steps.push(deepConfig(steps.at(-1)!, depthPlan(steps.at(-1)!.nLayer, { ...o, multiplier: o.depth }), o.newBlocks));
  if (o.rotate) steps.push(foldedConfig(steps.at(-1)!));
  return steps;
}

/**
 * What growWeights will make, without the weights: the grown config and the clone record (fallbacks
 * aside). A trainer that grows in stages plans every stage's config and FLOPs from this up front.
 */
export function growPlan(config: ModelConfig, options: CloneOptions): { config: ModelConfig; clone: CloneInfo } {
  const o = resolveCloneOptions(options);
  validateConfig(config);
  let grown = cloneConfig(config, o.width, o.ffn, o.tie);
  const clone = widthCloneInfo(config, o);
  if (o.depth > 1) {
    const plan = { multiplier: o.depth, placement: o.placement, newBlocks: o.newBlocks };
    clone.depth = { ...plan, sourceBlocks: depthPlan(grown.nLayer, plan) };
    grown = deepConfig(grown, clone.depth.sourceBlocks, o.newBlocks);
  }
  if (o.rotate) {
    grown = foldedConfig(grown);
    clone.rotate = true;
  }
  return { config: grown, clone };
}
