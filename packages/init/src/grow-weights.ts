// growWeights: every growth step in one pure transform: the width clone, then new blocks, then the rotation.
// Not the steps themselves (clone-weights.ts, depth-growth.ts, rotate-weights.ts) and not provenance (hyperclone.ts).

import type { ModelConfig, StateDict } from '@hyperclone/core';
import { cloneWeights, type CloneResult } from './clone-weights.js';
import { type CloneOptions, resolveCloneOptions } from './clone-options.js';
import { growDepth } from './depth-growth.js';
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
