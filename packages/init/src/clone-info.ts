// Where clone info lives in a checkpoint: config.json's origin.clone, read back with a shape check.
// Not the clone transform (clone-weights.ts): only the record of how a clone was made.

import type { CloneInfo, DepthGrowth } from '@hyperclone/core';
import { validateConfig } from '@hyperclone/core';

export const CLONE_VARIANTS = ['symmetric', 'noisy-symmetric', 'diagonal', 'noisy-diagonal'] as const;
export type CloneVariant = CloneInfo['variant'];

/**
 * The clone info stored in an origin (origin.clone), or undefined when the origin is not a clone's.
 * Throws when origin.clone is present but malformed, since a wrong record would mislead symmetryReport.
 */
export function cloneInfoFromOrigin(origin: Record<string, unknown> | undefined): CloneInfo | undefined {
  const raw = origin?.['clone'];
  if (raw === undefined || raw === null) return undefined;
  const c = raw as Partial<CloneInfo>;
  const problems: string[] = [];
  if (!Number.isInteger(c.width) || (c.width ?? 0) < 1) problems.push('width is not a positive integer');
  if (!Number.isInteger(c.ffn) || (c.ffn ?? 0) < 1) problems.push('ffn is not a positive integer');
  if (!CLONE_VARIANTS.includes(c.variant as CloneVariant)) problems.push(`variant ${JSON.stringify(c.variant)} is unknown`);
  if (c.snrDb !== null && typeof c.snrDb !== 'number') problems.push('snrDb is neither a number nor null');
  if (c.tie !== null && c.tie !== 'keep' && c.tie !== 'untie') problems.push('tie is not "keep", "untie" or null');
  if (!Number.isInteger(c.seed)) problems.push('seed is not an integer');
  if (c.rotate !== undefined && typeof c.rotate !== 'boolean') problems.push('rotate is not a boolean');
  if (c.depth !== undefined) problems.push(...depthProblems(c.depth));
  if (typeof c.sourceConfig !== 'object' || c.sourceConfig === null) problems.push('sourceConfig is missing');
  else {
    try {
      validateConfig(c.sourceConfig);
    } catch (e) {
      problems.push(`sourceConfig: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`origin.clone is malformed (${problems.join('; ')}); re-create the clone or remove origin.clone`);
  return c as CloneInfo;
}

function depthProblems(d: Partial<DepthGrowth>): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(d.multiplier) || (d.multiplier ?? 0) < 1) problems.push('depth.multiplier is not a positive integer');
  if (d.placement !== 'interleave' && d.placement !== 'stack') problems.push('depth.placement is not "interleave" or "stack"');
  if (d.newBlocks !== 'identity' && d.newBlocks !== 'copy') problems.push('depth.newBlocks is not "identity" or "copy"');
  if (!Array.isArray(d.sourceBlocks) || !d.sourceBlocks.every((b) => b === null || Number.isInteger(b)))
    problems.push('depth.sourceBlocks is not a list of block indices and nulls');
  return problems;
}
