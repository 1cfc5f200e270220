// The memory check trainFrom makes before the initializer allocates: the largest stage's estimate (core's
// trainMemory under the run's ZeRO stage, checkpointing and autocast) against the machine's memory. Not the
// formulas (core's memory-estimate.ts) and not the dry run's report (train-plan.ts).

import type { Initializer } from '@hyperclone/core';
import { checkMemory, GIB, hostMemoryLimit, trainMemory } from '@hyperclone/core';
import type { ParsedTrainOptions } from '../options/options.js';
import { changedFlags, leastFittingOption, planInputs, trainPlan } from './train-plan.js';

/**
 * Throws core's MemoryCheckError when the run cannot fit, naming the option that would make it fit when
 * one does. Skipped with `skipMemoryCheck`, and for an initializer without a plan; options that are wrong in
 * other ways are left to the run config's checks.
 */
export async function checkTrainMemory(init: Initializer, o: ParsedTrainOptions): Promise<void> {
  if (o.skipMemoryCheck) return;
  const limit = hostMemoryLimit();
  const i = await planInputs(init, o, o.distributed?.worldSize ?? 1, { bytes: limit.bytes, text: limit.text });
  if (!i) return;
  const estimate = trainMemory(i.model, { rows: i.rows, seqLen: i.seqLen, loadBytes: i.loadBytes, device: i.device, ...i.layout });
  if (estimate.bytes <= limit.bytes) return;
  // on CPU the plan's options hold the same memory as the check: name the least change that fits
  const fit = i.device === 'cpu' ? leastFittingOption(trainPlan(i)) : null;
  checkMemory(estimate, {
    what: `train (batch ${o.batchSize} x ${i.seqLen} tokens${i.stages > 1 ? ', its largest stage' : ''})`,
    advice:
      'lower --batch-size (batchSize) or --seq-len, or train a smaller model' +
      (fit ? `, or use ${changedFlags(i, fit.option)} (about ${(fit.bytes / GIB).toFixed(1)} GiB)` : ''),
    override: '--skip-memory-check (skipMemoryCheck: true)',
    limit,
  });
}
