// AdamW's moments through a growth: each width-clone parameter's first and second moments tiled like its
// weight and scaled like its gradient (clone-rules.ts's GRADIENT_RULES), a deeper model's copied blocks
// keeping their blocks' moments and its new identity blocks starting at zero. Not the weights (clone-weights.ts,
// depth-growth.ts) and not the order of the steps (growth/growth-steps.ts).

import type { HostTensor, ModelConfig, StateDict } from '@hyperclone/core';
import { headWeightName, hostTensor, numel, paramSpec } from '@hyperclone/core';
import { cloneConfig } from './clone-config.js';
import { cloneRule } from './clone-rules.js';
import { widthGrowth } from './clone-weights.js';
import { depthPlan } from './depth-growth.js';
import type { GrowthSpec } from './growth/growth-spec.js';
import { tileMatrix, tileVector } from './tile.js';

/** First (m) and second (v) moments, one tensor per parameter, by parameter name. */
export interface Moments {
  m: StateDict;
  v: StateDict;
}

/**
 * The width step's moments: m tiled and times the gradient scale, v tiled and times its square, so
 * m / sqrt(v) of every copy is the source's (the update AdamW takes is the same; the noise and the split
 * of the weights are left out: the copies' gradients start equal). The head of a clone untied from a
 * tied source takes the embedding's moments (its gradient was their sum).
 */
export function cloneMoments(config: ModelConfig, moments: Moments, spec: GrowthSpec): Moments {
  const growth = widthGrowth(config, spec);
  const wide = cloneConfig(growth, spec.tie);
  const out: Moments = { m: new Map(), v: new Map() };
  for (const s of paramSpec(wide)) {
    const name = s.name === headWeightName(wide) ? headWeightName(config) : s.name;
    const rule = cloneRule(s, growth);
    out.m.set(s.name, tiled(source(moments.m, name, 'm'), rule.copies, rule.gradientScale));
    out.v.set(s.name, tiled(source(moments.v, name, 'v'), rule.copies, rule.gradientScale ** 2));
  }
  return out;
}

/** The depth step's moments: a copied block keeps its block's, a new identity block starts at zero. */
export function deepenMoments(config: ModelConfig, moments: Moments, spec: GrowthSpec): Moments {
  const deep: ModelConfig = { ...config, nLayer: config.nLayer * spec.depth };
  const plan = depthPlan(config.nLayer, { multiplier: spec.depth, placement: spec.placement, newBlocks: spec.newBlocks });
  const out: Moments = { m: new Map(), v: new Map() };
  for (const s of paramSpec(deep)) {
    const from =
      s.block === null ? s.name : plan[s.block] === null ? null : `blocks.${plan[s.block]!}.${s.name.slice(`blocks.${s.block}.`.length)}`;
    for (const key of ['m', 'v'] as const) {
      out[key].set(s.name, from === null ? hostTensor(s.shape, new Float32Array(numel(s.shape))) : copy(source(moments[key], from, key)));
    }
  }
  return out;
}

function source(moments: StateDict, name: string, which: string): HostTensor {
  const t = moments.get(name);
  if (!t) throw new Error(`the moments to grow have no ${which} for "${name}": they belong to another model`);
  return t;
}

function tiled(t: HostTensor, copies: readonly number[], scale: number): HostTensor {
  const data = t.data as Float32Array;
  const shape = t.shape.map((d, i) => d * copies[i]!);
  if (t.shape.length === 1) {
    const out = tileVector(data, copies[0]!);
    for (let i = 0; i < out.length; i++) out[i]! *= scale;
    return hostTensor(shape, out);
  }
  const [rows, cols] = t.shape as [number, number];
  return hostTensor(shape, tileMatrix(data, { rows, cols, nOut: copies[0]!, nIn: copies[1]!, scale }));
}

function copy(t: HostTensor): HostTensor {
  return hostTensor([...t.shape], (t.data as Float32Array).slice());
}
