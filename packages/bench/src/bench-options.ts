// The benchmark's options (compareCloneVsRandom's): the data, the small model, the growth every wide arm
// shares, the arms, seeds, budget and the training options every run gets. Only the shape and the defaults;
// each pipeline step reads what it needs. Not the checks (bench-inputs.ts).

import type { Backend, Logger, ProcessGroup } from '@hyperclone/core';
import type { GrowStage, ScheduleKind, TrainOptions } from '@hyperclone/trainer';
import type { TargetMetric } from './time-to-target.js';

/** Training options every run of the benchmark gets as they are (trainFrom's, with its defaults). */
export const SHARED_TRAIN_KEYS = [
  'batchSize',
  'seqLen',
  'lr',
  'schedule',
  'dropout',
  'evalEvery',
  'evalWindows',
  'tasks',
  'taskLimit',
  'skipMemoryCheck',
] as const;
export type SharedTrainOptions = Pick<TrainOptions, (typeof SHARED_TRAIN_KEYS)[number]>;

export const DEFAULT_VARIANTS: string[] = ['noisy-symmetric'];

export interface CompareOptions extends SharedTrainOptions {
  data: string;
  out: string;
  backend: Backend;
  /** One rank of a data-parallel group: every run trains on it; rank 0 alone writes the results. */
  distributed?: ProcessGroup;
  /** A preset name (trained here for smallSteps) or a trained checkpoint directory. */
  small: string;
  smallSteps?: number;
  width: number;
  ffn?: number;
  /** nLayer multiplier of every wide arm (default 1): the clones grow in depth too, random starts at that size. */
  depth?: number;
  /** Clone arms raced against random: a variant with modifiers (init's parseGrowthArm), e.g. 'noisy-symmetric', 'symmetric+rotate', 'noisy-symmetric+stack+copy'. */
  variants?: string[];
  /**
   * A staged arm (label 'stages'): random init at the small model's size, grown inside its run at
   * these steps (the trainer's growAt), for the last stage's step + `steps` steps. Its small phase is
   * part of its own cost. Its last stage must be the wide arms' size.
   */
  stages?: GrowStage[];
  /** The arm every other is also compared with (default 'clone:noisy-symmetric' when it runs). */
  reference?: string;
  snrDb?: number;
  tie?: 'keep' | 'untie';
  /** Seeds per arm (K >= 1; >= 3 for a p-value worth reading). */
  seeds?: number;
  /** Steps of every wide arm (the budget). */
  steps: number;
  smallLr?: number;
  /** Warmup of the small model and the random arm (the trainer's default when absent). */
  warmup?: number;
  /** The small model's own schedule (default: schedule). A pretrained small model is usually annealed. */
  smallSchedule?: ScheduleKind;
  /** Warmup of the cloned arms (default: the same as warmup). */
  rewarmup?: number;
  /** Default: the random arm's final validation accuracy, per seed. */
  target?: { metric: TargetMetric; value: number };
  logger?: Logger;
  /** Called once every input is checked and the folder is open, before the first training step. */
  onStart?: () => void;
  /** Called before each training run starts: (label, index, total). */
  onRun?: (label: string, index: number, total: number) => void;
  /** Called once the runs are done, before the report (its plots) is written. */
  onReport?: () => void;
  /** Passed through to every trainFrom (progress display). */
  trainHooks?: Pick<TrainOptions, 'onStep' | 'onEval' | 'signal'>;
}
