// The benchmark's clone arms: a variant with modifiers (`noisy-symmetric+rotate`, `symmetric+stack+copy`)
// read into the options of one growth of the small model. Not the runs (compare.ts) nor the analysis.

import type { CloneOptions } from '@hyperclone/init';
import { CLONE_VARIANTS, type CloneVariant } from '@hyperclone/init';

/** What may follow a variant: the rotation, where new blocks go, and what they are. */
export const ARM_MODIFIERS = ['rotate', 'interleave', 'stack', 'identity', 'copy'] as const;
export type ArmModifier = (typeof ARM_MODIFIERS)[number];

export const ARM_HELP =
  `a variant (${CLONE_VARIANTS.join(', ')}), optionally with +rotate (the residual stream rotated), and with --depth > 1 ` +
  '+interleave or +stack (where the new blocks go; default interleave) and +identity or +copy (new identity blocks, default, or G_stack copies of the trained blocks)';

/** The growth options of arm `spec` (its label is `clone:<spec>`); depth is the benchmark's depth multiplier. */
export function cloneArmOptions(spec: string, depth: number): Pick<CloneOptions, 'variant' | 'rotate' | 'placement' | 'newBlocks'> {
  const [variant, ...mods] = spec.split('+').map((s) => s.trim());
  if (!(CLONE_VARIANTS as readonly string[]).includes(variant ?? ''))
    throw new Error(`arm "${spec}": unknown variant "${variant ?? ''}"; an arm is ${ARM_HELP}`);
  const o: Pick<CloneOptions, 'variant' | 'rotate' | 'placement' | 'newBlocks'> = { variant: variant as CloneVariant };
  for (const m of mods) {
    if (!(ARM_MODIFIERS as readonly string[]).includes(m)) throw new Error(`arm "${spec}": unknown modifier "${m}"; an arm is ${ARM_HELP}`);
    const mod = m as ArmModifier;
    if (mod === 'rotate') o.rotate = true;
    else if (depth <= 1) throw new Error(`arm "${spec}": +${mod} places new blocks, which needs a depth growth (--depth 2 or more)`);
    else if (mod === 'interleave' || mod === 'stack') o.placement = mod;
    else o.newBlocks = mod;
  }
  return o;
}

/** Throws on the first arm that cannot be read, or a repeated one. */
export function checkArms(specs: readonly string[], depth: number): void {
  if (specs.length === 0) throw new Error('the benchmark needs at least one clone arm (variants) or a staged arm (stages)');
  const seen = new Set<string>();
  for (const spec of specs) {
    cloneArmOptions(spec, depth);
    if (seen.has(spec)) throw new Error(`arm "${spec}" is listed twice`);
    seen.add(spec);
  }
}
