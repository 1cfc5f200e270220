// What the loop needs of the data, as a Stateful part: micro-batches from a resumable sampler (its cursor is
// the part's state: any JSON value, a dataset directory's is data's SamplerState), a fixed set of validation
// windows, and the tokenizer for downstream tasks. Not where it comes from (data-source.ts) and not the
// dataset format (@hyperclone/data).

import type { Stateful } from '@hyperclone/core';
import type { EvalWindow } from '../evaluation/evaluate.js';
import type { TaskTokenizer } from '../evaluation/tasks.js';
import type { MicroBatch } from '../model/train-step.js';

export interface TrainData extends Stateful<unknown> {
  /** The next training micro-batch, (B·T) inputs and targets. */
  nextBatch(): MicroBatch;
  /** The fixed, seeded validation windows (the same for every run with the same evalSeed). */
  readonly evalSet: readonly EvalWindow[];
  /** Loads the data's tokenizer (only when downstream tasks need it). */
  tokenizer(): Promise<TaskTokenizer>;
}
