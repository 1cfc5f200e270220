// cloneWeights: the pure HyperCloning transform of a named-Float32Array state dict into a wider model's.
// Not an initializer (hyperclone.ts wraps it) and not backend code: host arrays in, host arrays out.

import type { CloneInfo, ModelConfig, StateDict } from '@hyperclone/core';
import { Rng, checkWeights, hostTensor, paramSpec, validateConfig } from '@hyperclone/core';
import { cloneConfig } from './clone-config.js';
import { addPairedNoise, meanSquare } from './clone-noise.js';
import { type CloneOptions, resolveCloneOptions } from './clone-options.js';
import { type CloneRule, cloneRule } from './clone-rules.js';
import { tileMatrix, tileVector } from './tile.js';

export interface CloneResult {
  config: ModelConfig;
  weights: StateDict;
  clone: CloneInfo;
  /** Parameters where a diagonal variant could not apply (nOut != nIn) and the symmetric rule was used. */
  fallbacks: string[];
}

/**
 * Expands `weights` (shaped by `config`) into a model `width` times wider (FFN `ffn` times) that
 * computes the same logits. Every rule is in /work/shared/HYPERCLONING.md and docs/hypercloning.md.
 */
export function cloneWeights(config: ModelConfig, weights: StateDict, options: CloneOptions): CloneResult {
  const o = resolveCloneOptions(options);
  validateConfig(config);
  checkWeights(config, weights, 'the hyperclone source');
  const wideConfig = cloneConfig(config, o.width, o.ffn, o.tie);
  const diagonal = o.variant === 'diagonal' || o.variant === 'noisy-diagonal';
  const fallbacks: string[] = [];
  const wide: StateDict = new Map();
  for (const [name, t] of weights) {
    if (t.dtype !== 'float32') throw new Error(`hyperclone source parameter "${name}" is ${t.dtype}; weights must be float32`);
    const rule = cloneRule(name, config, o.width, o.ffn);
    const useDiagonal = diagonal && rule.kind === 'linear' && rule.nOut === rule.nIn;
    if (diagonal && rule.kind === 'linear' && !useDiagonal) fallbacks.push(name);
    const data = cloneParam(t.data as Float32Array, t.shape, rule, useDiagonal);
    if (o.snrDb !== null && rule.kind === 'linear') {
      const [rows, cols] = t.shape as [number, number];
      const signalPower = meanSquare(t.data as Float32Array) / (rule.nIn * rule.nIn); // mean((W / nIn)²)
      addPairedNoise(data, {
        rows,
        cols,
        nOut: rule.nOut,
        nIn: rule.nIn,
        signalPower,
        snrDb: o.snrDb,
        rng: new Rng(o.seed, `hyperclone-noise:${name}`),
      });
    }
    wide.set(name, hostTensor(wideShape(t.shape, rule), data));
  }
  if (config.tieEmbeddings && !wideConfig.tieEmbeddings) {
    // untie: the head reads the clone of the hidden state, so it is the embedding tiled and divided by width
    const emb = weights.get('tok_emb.weight')!;
    const [V, C] = emb.shape as [number, number];
    wide.set(
      'lm_head.weight',
      hostTensor([V, C * o.width], tileMatrix(emb.data as Float32Array, { rows: V, cols: C, nOut: 1, nIn: o.width, scale: 1 / o.width })),
    );
  }
  if (fallbacks.length > 0) {
    options.logger?.warn(
      { variant: o.variant, fallbacks },
      `diagonal cloning needs equal output and input multipliers; ${fallbacks.length} parameter(s) fell back to symmetric`,
    );
  }
  const clone: CloneInfo = {
    width: o.width,
    ffn: o.ffn,
    variant: o.variant,
    snrDb: o.snrDb,
    tie: config.tieEmbeddings ? o.tie : null,
    seed: o.seed,
    sourceConfig: { ...config },
  };
  const ordered: StateDict = new Map(paramSpec(wideConfig).map((s) => [s.name, wide.get(s.name)!]));
  checkWeights(wideConfig, ordered, 'the clone (a hyperclone bug: please report it)');
  return { config: wideConfig, weights: ordered, clone, fallbacks };
}

function cloneParam(src: Float32Array, shape: readonly number[], rule: CloneRule, diagonal: boolean): Float32Array {
  if (rule.kind === 'vector') return tileVector(src, rule.nOut);
  const [rows, cols] = shape as [number, number];
  const scale = rule.kind === 'embedding' ? 1 : 1 / rule.nIn;
  return tileMatrix(src, { rows, cols, nOut: rule.nOut, nIn: rule.nIn, scale, diagonal });
}

function wideShape(shape: readonly number[], rule: CloneRule): number[] {
  return shape.length === 1 ? [shape[0]! * rule.nOut] : [shape[0]! * rule.nOut, shape[1]! * rule.nIn];
}
