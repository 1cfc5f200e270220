// The memory check trainFrom makes before the initializer allocates: the largest stage's estimate (core's
// trainMemory) against the machine's memory. Not the formulas (core's memory-estimate.ts).

import type { Initializer, MemoryEstimate } from '@hyperclone/core';
import { checkMemory, loadBytes, trainMemory } from '@hyperclone/core';
import { planStages } from '../model/grow-stages.js';
import type { ParsedTrainOptions } from '../options/options.js';

/**
 * Throws core's MemoryCheckError when the run cannot fit. Skipped with `skipMemoryCheck`, and for an
 * initializer without a plan; options that are wrong in other ways are left to the run config's checks.
 */
export async function checkTrainMemory(init: Initializer, o: ParsedTrainOptions): Promise<void> {
  if (o.skipMemoryCheck || !init.plan) return;
  const plan = await init.plan();
  const model = o.dropout === undefined ? plan.config : { ...plan.config, dropout: o.dropout };
  const seqLen = o.seqLen ?? model.contextLength;
  if (seqLen > model.contextLength) return; // refused by resolveRunConfig, in its words
  let stages = [model];
  try {
    stages = planStages(model, o.growAt, { seed: o.seed, steps: o.steps, seqLen, warmup: o.warmup ?? 0 }).map((s) => s.model);
  } catch {
    // a growth that cannot be made is refused by resolveRunConfig
  }
  const worldSize = o.distributed?.worldSize ?? 1;
  const rows = Math.ceil(Math.max(o.batchSize, o.evalBatchSize ?? o.batchSize) / worldSize);
  const shape = { rows, seqLen, loadBytes: loadBytes(plan), device: o.backend.device.kind };
  const largest = stages.map((c) => trainMemory(c, shape)).reduce((a: MemoryEstimate, b) => (b.bytes > a.bytes ? b : a));
  checkMemory(largest, {
    what: `train (batch ${o.batchSize} x ${seqLen} tokens${stages.length > 1 ? ', its largest stage' : ''})`,
    advice: 'lower --batch-size (batchSize) or --seq-len, or train a smaller model',
    override: '--skip-memory-check (skipMemoryCheck: true)',
  });
}
