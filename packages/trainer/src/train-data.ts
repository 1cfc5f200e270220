// What the loop needs of the data: micro-batches from a resumable sampler, a fixed set of validation
// windows, and the tokenizer for downstream tasks. Not the dataset format (that is @hyperclone/data).

import type { Stateful } from '@hyperclone/core';
import type { SamplerState } from '@hyperclone/data';
import type { DatasetInfo } from './run-config.js';
import type { TaskTokenizer } from './tasks.js';
import type { EvalWindow } from './evaluate.js';
import type { MicroBatch } from './train-step.js';

export interface TrainData {
  /** Absolute path of the dataset directory. */
  dir: string;
  info: DatasetInfo;
  /** The next training micro-batch, (B·T) inputs and targets. */
  nextBatch(): MicroBatch;
  /** The training sampler's cursor, saved in every checkpoint. */
  sampler: Stateful<SamplerState>;
  /** The fixed, seeded validation windows (the same for every run with the same evalSeed). */
  evalSet: readonly EvalWindow[];
  /** Loads the dataset's tokenizer (only when downstream tasks need it). */
  tokenizer(): Promise<TaskTokenizer>;
  close(): void;
}
