// cloneWeights: the pure HyperCloning transform of a named-Float32Array state dict into a wider model's.
// Not an initializer (hyperclone.ts wraps it) and not backend code: host arrays in, host arrays out.

import type { CloneInfo, HostTensor, ModelConfig, StateDict } from '@hyperclone/core';
import { Rng, checkWeights, headWeightName, hostTensor, paramSpec, validateConfig } from '@hyperclone/core';
import { cloneConfig } from './clone-config.js';
import { addPairedNoise, meanSquare } from './clone-noise.js';
import { type CloneRule, type Growth, cloneRule } from './clone-rules.js';
import { type GrowthOptions, type GrowthSpec, resolveGrowth } from './growth/growth-spec.js';
import { tileMatrix, tileVector } from './tile.js';

export interface CloneResult {
  config: ModelConfig;
  weights: StateDict;
  clone: CloneInfo;
  /** Parameters where a diagonal variant could not apply (nOut != nIn) and the symmetric rule was used. */
  fallbacks: string[];
}

/**
 * Expands `weights` (shaped by `config`) into a model `width` times wider (FFN `ffn` times, heads `heads`
 * times) that computes the same logits: the width step of a growth, alone (the spec's depth and rotation
 * are apply-growth.ts's). Every rule is in docs/hypercloning.md ("The cloning rules"); each wide parameter follows its axes
 * through clone-rules.ts.
 */
export function cloneWeights(config: ModelConfig, weights: StateDict, options: GrowthOptions): CloneResult {
  const o = resolveGrowth(options);
  validateConfig(config);
  checkWeights(config, weights, 'the hyperclone source');
  const growth = widthGrowth(config, o);
  const wideConfig = cloneConfig(growth, o.tie);
  const diagonal = o.variant === 'diagonal' || o.variant === 'noisy-diagonal';
  const fallbacks: string[] = [];
  const wide: StateDict = new Map();
  for (const spec of paramSpec(wideConfig)) {
    // the head of an untied clone of a tied source is cloned from the source's head weight, the embedding
    const src = weights.get(spec.name === headWeightName(wideConfig) ? headWeightName(config) : spec.name)!;
    const rule = cloneRule(spec, growth);
    const useDiagonal = diagonal && rule.variants && rule.copies[0] === rule.copies[1];
    if (diagonal && rule.variants && !useDiagonal) fallbacks.push(spec.name);
    wide.set(spec.name, cloneParam(spec.name, src, rule, useDiagonal, o));
  }
  if (fallbacks.length > 0) {
    options.logger?.warn(
      { variant: o.variant, fallbacks },
      `diagonal cloning needs equal output and input multipliers; ${fallbacks.length} parameter(s) fell back to symmetric`,
    );
  }
  const clone = widthCloneInfo(config, o);
  checkWeights(wideConfig, wide, 'the clone (a hyperclone bug: please report it)');
  return { config: wideConfig, weights: wide, clone, fallbacks };
}

/** The axis rules' view of a spec's width step from `source`. */
export function widthGrowth(source: ModelConfig, o: GrowthSpec): Growth {
  return { source, width: o.width, ffn: o.ffn, heads: o.heads, kvHeads: o.kvHeads };
}

/** The record of a width clone of `config` (the depth and rotation steps add theirs to it). */
export function widthCloneInfo(config: ModelConfig, o: GrowthSpec): CloneInfo {
  return {
    width: o.width,
    ffn: o.ffn,
    heads: o.heads,
    kvHeads: o.kvHeads,
    variant: o.variant,
    snrDb: o.snrDb,
    tie: config.tieEmbeddings ? o.tie : null,
    seed: o.seed,
    sourceConfig: { ...config },
  };
}

/** One parameter: tiled along its axes and scaled (or block-diagonal), then paired noise for the noisy variants. */
function cloneParam(name: string, src: HostTensor, rule: CloneRule, diagonal: boolean, o: GrowthSpec): HostTensor {
  if (src.dtype !== 'float32') throw new Error(`hyperclone source parameter "${name}" is ${src.dtype}; weights must be float32`);
  const w = src.data as Float32Array;
  const shape = src.shape.map((d, i) => d * rule.copies[i]!); // the source's shape times the copies of each axis
  if (src.shape.length === 1) return hostTensor(shape, tileVector(w, rule.copies[0]!));
  const [rows, cols] = src.shape as [number, number];
  const [nOut, nIn] = rule.copies as [number, number];
  const data = tileMatrix(w, { rows, cols, nOut, nIn, scale: rule.scale, diagonal }); // (rows·nOut, cols·nIn)
  if (o.snrDb !== null && rule.variants) {
    const signalPower = meanSquare(w) / (nIn * nIn); // mean((W / nIn)²)
    addPairedNoise(data, { rows, cols, nOut, nIn, signalPower, snrDb: o.snrDb, rng: new Rng(o.seed, `hyperclone-noise:${name}`) });
  }
  return hostTensor(shape, data);
}
