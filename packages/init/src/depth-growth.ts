// growDepth: a deeper model from a trained one, either function-preserving (new blocks whose output
// projections start at zero are identities on the residual stream) or by copying trained blocks
// (G_stack, Du et al. 2024). Not width growth (clone-weights.ts).

import type { DepthGrowth, HostTensor, ModelConfig, StateDict } from '@hyperclone/core';
import { Rng, checkWeights, hostTensor, normPlacementOf, numel, paramSpec, validateConfig } from '@hyperclone/core';
import { fillNormal } from './random-init.js';

export const PLACEMENTS = ['interleave', 'stack'] as const;
export type Placement = (typeof PLACEMENTS)[number];
export const NEW_BLOCKS = ['identity', 'copy'] as const;
export type NewBlocks = (typeof NEW_BLOCKS)[number];

export interface DepthOptions {
  /** nLayer times this, an integer >= 1. */
  multiplier: number;
  placement: Placement;
  newBlocks: NewBlocks;
  /** Seeds the new identity blocks' readers, one stream per parameter. */
  seed: number;
}

/**
 * Which old block each block of the deeper model holds (null: a new identity block).
 * interleave: b0, new, b1, new, ... (copy: b0, b0, b1, b1); stack: b0 .. bL-1, then the new ones
 * (copy: b0 .. bL-1, b0 .. bL-1, G_stack's layout).
 */
export function depthPlan(nLayer: number, o: Pick<DepthOptions, 'multiplier' | 'placement' | 'newBlocks'>): (number | null)[] {
  const plan: (number | null)[] = [];
  const newOne = (i: number): number | null => (o.newBlocks === 'copy' ? i : null);
  if (o.placement === 'interleave') {
    for (let i = 0; i < nLayer; i++) plan.push(i, ...Array.from({ length: o.multiplier - 1 }, () => newOne(i)));
  } else {
    for (let i = 0; i < nLayer; i++) plan.push(i);
    for (let r = 1; r < o.multiplier; r++) for (let i = 0; i < nLayer; i++) plan.push(newOne(i));
  }
  return plan;
}

/**
 * The deeper model. A new identity block gets the random init's readers and norms (N(0, 0.02), gains
 * 1) and zeros in every parameter that writes the stream (attn.o, mlp.down and their biases), so it
 * adds nothing and the logits are those of the source; training then moves the zeros first.
 */
export function growDepth(
  config: ModelConfig,
  weights: StateDict,
  o: DepthOptions,
): { config: ModelConfig; weights: StateDict; depth: DepthGrowth } {
  checkWeights(config, weights, 'the model to deepen');
  const plan = depthPlan(config.nLayer, o);
  const deep = deepConfig(config, plan, o.newBlocks);
  const out: StateDict = new Map();
  for (const s of paramSpec(deep)) {
    if (s.block === null) {
      out.set(s.name, weights.get(s.name)!);
      continue;
    }
    const source = plan[s.block]!;
    const local = s.name.slice(`blocks.${s.block}.`.length); // e.g. attn.q.weight
    out.set(s.name, source === null ? identityParam(s, o.seed) : copyTensor(weights.get(`blocks.${source}.${local}`)!));
  }
  checkWeights(deep, out, 'the deeper model (a growDepth bug: please report it)');
  return {
    config: deep,
    weights: out,
    depth: { multiplier: o.multiplier, placement: o.placement, newBlocks: o.newBlocks, sourceBlocks: plan },
  };
}

/**
 * The deeper model's config: nLayer from the plan, and each block's attention (layerTypes) that of the block
 * it holds, or for a new identity block that of the block before it (an identity adds nothing either way).
 * A post-norm model cannot grow identity blocks: its norm acts on the stream itself, even after a zero branch.
 */
export function deepConfig(config: ModelConfig, plan: readonly (number | null)[], newBlocks: NewBlocks): ModelConfig {
  if (newBlocks === 'identity' && normPlacementOf(config) === 'post')
    throw new Error(
      'cannot add identity blocks to a post-norm model: each block normalizes the stream, so a new one changes the function; ' +
        'use new blocks "copy" or grow only the width',
    );
  const deep: ModelConfig = { ...config, nLayer: plan.length };
  if (config.layerTypes) {
    let last = 0;
    deep.layerTypes = plan.map((source) => config.layerTypes![(last = source ?? last)]!);
  }
  validateConfig(deep);
  return deep;
}

function identityParam(s: ReturnType<typeof paramSpec>[number], seed: number): HostTensor {
  const data = new Float32Array(numel(s.shape));
  if (s.stream === 'writes') return hostTensor(s.shape, data); // zero: the block adds nothing to the stream
  if (s.init === 'ones') data.fill(1);
  else if (s.init === 'normal') fillNormal(new Rng(seed, `grow-depth:${s.name}`), data, 0.02);
  return hostTensor(s.shape, data);
}

function copyTensor(t: HostTensor): HostTensor {
  return hostTensor([...t.shape], (t.data as Float32Array).slice());
}
