// rotateWeights: the same function in a rotated basis of the residual stream (SliceGPT's computational
// invariance), so no coordinate of a clone is a copy of another any more. Not the folding (fold-norms.ts).

import type { ModelConfig, ParamSpec, StateDict } from '@hyperclone/core';
import { paramSpec } from '@hyperclone/core';
import { foldNorms64, toFloat32, type Weights64 } from './fold-norms.js';
import { mulLeft, mulLeftTransposed, mulRight, mulRightTransposed, randomOrthogonal } from './orthogonal.js';

/**
 * Folds the norms (foldNorms), then rotates every model axis by Q = randomOrthogonal(dModel, seed):
 * the stream x becomes x·Q, so a parameter whose columns run along the model axis (embeddings, and
 * every linear that reads the stream, the head included) becomes W·Q, one whose rows do (attn.o,
 * mlp.down) becomes Qᵀ·W, and a writer's bias Qᵀ·b. Unit-gain RMSNorm sees the same norms, so every
 * logit is unchanged. Computed in float64, then cast.
 */
export function rotateWeights(config: ModelConfig, weights: StateDict, seed: number): { config: ModelConfig; weights: StateDict } {
  const folded = foldNorms64(config, weights);
  const q = randomOrthogonal(folded.config.dModel, seed);
  const rotated: Weights64 = new Map();
  for (const s of paramSpec(folded.config)) rotated.set(s.name, rotateParam(s, folded.weights.get(s.name)!, q, 'forward'));
  return { config: folded.config, weights: toFloat32(folded.config, rotated) };
}

/**
 * One parameter along its model axes: 'forward' applies the rotation (columns ·Q, rows Qᵀ·), 'inverse'
 * undoes it (columns ·Qᵀ, rows Q·). Norm gains are left alone (unit gains after folding).
 */
export function rotateParam(
  s: ParamSpec,
  t: { shape: number[]; data: Float64Array },
  q: Float64Array,
  direction: 'forward' | 'inverse',
): { shape: number[]; data: Float64Array } {
  const n = Math.round(Math.sqrt(q.length));
  let data = t.data;
  if (s.kind === 'norm') return t;
  if (s.axes.length === 1) {
    if (s.axes[0] === 'model') data = direction === 'forward' ? mulLeftTransposed(q, n, data, 1) : mulLeft(q, n, data, 1);
    return { shape: t.shape, data };
  }
  const [rows, cols] = s.shape as [number, number];
  if (s.axes[1] === 'model') data = direction === 'forward' ? mulRight(data, rows, q, n) : mulRightTransposed(data, rows, q, n);
  if (s.axes[0] === 'model') data = direction === 'forward' ? mulLeftTransposed(q, n, data, cols) : mulLeft(q, n, data, cols);
  return { shape: t.shape, data };
}
