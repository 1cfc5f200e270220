// The benchmark's clone arms: each a variant with modifiers (`noisy-symmetric+rotate`, `symmetric+stack+copy`),
// read by init's growth parser (parseGrowthArm), checked as a list. Not the runs (compare.ts) nor the analysis.

import { parseGrowthArm } from '@hyperclone/init';

/** Throws on the first arm that cannot be read, or a repeated one. */
export function checkArms(specs: readonly string[], depth: number): void {
  if (specs.length === 0) throw new Error('the benchmark needs at least one clone arm (variants) or a staged arm (stages)');
  const seen = new Set<string>();
  for (const spec of specs) {
    parseGrowthArm(spec, depth);
    if (seen.has(spec)) throw new Error(`arm "${spec}" is listed twice`);
    seen.add(spec);
  }
}
