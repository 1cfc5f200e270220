// The options of a hyperclone, their defaults, and the checks that reject what cannot preserve the function.
// Not the transform itself (clone-weights.ts).

import type { Logger } from '@hyperclone/core';
import { CLONE_VARIANTS, type CloneVariant } from './clone-info.js';
import { NEW_BLOCKS, PLACEMENTS, type NewBlocks, type Placement } from './depth-growth.js';

export type TieMode = 'keep' | 'untie';

export interface CloneOptions {
  /** n_e: hidden-width multiplier, an integer >= 1. Heads (and kv heads, except a single MQA head) multiply by it. */
  width: number;
  /** n_f: FFN-width multiplier, an integer >= 1 (default: width). */
  ffn?: number;
  /** 'symmetric' (default) | 'noisy-symmetric' | 'diagonal' | 'noisy-diagonal'. */
  variant?: CloneVariant;
  /** Signal-to-noise ratio of the paired noise, in dB (noisy variants only; default 10). */
  snrDb?: number;
  /**
   * Tied source only. 'keep' (default): the clone stays tied and its logitScale is divided by width.
   * 'untie': the clone gets its own lm_head = tile(E, 1, width) / width.
   */
  tie?: TieMode;
  /** nLayer multiplier, an integer >= 1 (default 1): new blocks after the width clone (depth-growth.ts). */
  depth?: number;
  /** Where the new blocks go (depth > 1 only): 'interleave' (default) or 'stack'. */
  placement?: Placement;
  /** 'identity' (default: zero output projections, the function is kept) or 'copy' (G_stack: copies of the trained blocks). */
  newBlocks?: NewBlocks;
  /**
   * Rotate the residual stream last by a random orthogonal matrix drawn from the seed (rotate-weights.ts):
   * the norms are folded (the model becomes rmsnorm with unit gains, a LayerNorm model gets a head bias)
   * and a tied source is untied. The function is kept; no coordinate is a copy of another.
   */
  rotate?: boolean;
  /** Seeds the noise, the new blocks and the rotation, one stream each (default 0). */
  seed?: number;
  /** Receives a warning when a diagonal variant falls back to symmetric for some layers. */
  logger?: Logger;
}

export interface ResolvedCloneOptions {
  width: number;
  ffn: number;
  variant: CloneVariant;
  snrDb: number | null;
  tie: TieMode;
  depth: number;
  placement: Placement;
  newBlocks: NewBlocks;
  rotate: boolean;
  seed: number;
}

export const DEFAULT_SNR_DB = 10;

function isNoisy(variant: CloneVariant): boolean {
  return variant === 'noisy-symmetric' || variant === 'noisy-diagonal';
}

function multiplier(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(
      `hyperclone ${name} must be an integer >= 1 (got ${String(value)}): HyperCloning preserves the function only for ` +
        'whole-number multipliers (LayerNorm statistics change otherwise); pick 2, 3, 4, ...',
    );
  }
  return value;
}

/** Fills defaults and throws on anything that cannot give a function-preserving clone. */
export function resolveCloneOptions(options: CloneOptions): ResolvedCloneOptions {
  if (typeof options !== 'object' || options === null) throw new Error('hyperclone needs options, at least { width }');
  const width = multiplier(options.width, 'width');
  const ffn = options.ffn === undefined ? width : multiplier(options.ffn, 'ffn');
  const variant = options.variant ?? 'symmetric';
  if (!CLONE_VARIANTS.includes(variant)) {
    throw new Error(`unknown hyperclone variant ${JSON.stringify(variant)}; choose one of: ${CLONE_VARIANTS.join(', ')}`);
  }
  let snrDb: number | null = null;
  if (isNoisy(variant)) {
    snrDb = options.snrDb ?? DEFAULT_SNR_DB;
    if (!Number.isFinite(snrDb)) throw new Error(`hyperclone snrDb must be a finite number of decibels (got ${String(options.snrDb)})`);
  } else if (options.snrDb !== undefined) {
    throw new Error(
      `hyperclone snrDb only applies to the noisy variants (got variant "${variant}"); use noisy-symmetric or noisy-diagonal, or drop snrDb`,
    );
  }
  const rotate = options.rotate ?? false;
  if (typeof rotate !== 'boolean') throw new Error(`hyperclone rotate must be true or false (got ${JSON.stringify(options.rotate)})`);
  const tie = options.tie ?? (rotate ? 'untie' : 'keep');
  if (tie !== 'keep' && tie !== 'untie') throw new Error(`hyperclone tie must be "keep" or "untie" (got ${JSON.stringify(tie)})`);
  if (rotate && tie === 'keep')
    throw new Error(
      'hyperclone rotate unties a tied model (the embedding is rotated as E·Q, the head also takes the final norm\'s gain); drop tie "keep" or use "untie"',
    );
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`hyperclone seed must be an integer in [0, 2^32) (got ${String(seed)})`);
  return { width, ffn, variant, snrDb, tie, seed, rotate, ...depthOptions(options) };
}

function depthOptions(options: CloneOptions): Pick<ResolvedCloneOptions, 'depth' | 'placement' | 'newBlocks'> {
  const depth = options.depth ?? 1;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1)
    throw new Error(`hyperclone depth must be an integer >= 1, the nLayer multiplier (got ${String(options.depth)}); pick 2, 3, ...`);
  const placement = options.placement ?? 'interleave';
  const newBlocks = options.newBlocks ?? 'identity';
  if (!PLACEMENTS.includes(placement))
    throw new Error(`hyperclone placement must be ${PLACEMENTS.join(' or ')} (got ${JSON.stringify(options.placement)})`);
  if (!NEW_BLOCKS.includes(newBlocks))
    throw new Error(`hyperclone newBlocks must be ${NEW_BLOCKS.join(' or ')} (got ${JSON.stringify(options.newBlocks)})`);
  if (depth === 1 && (options.placement !== undefined || options.newBlocks !== undefined))
    throw new Error('hyperclone placement and newBlocks only apply when depth > 1; pass a depth multiplier (2, 3, ...) or drop them');
  return { depth, placement, newBlocks };
}
