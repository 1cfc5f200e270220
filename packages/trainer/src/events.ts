// What a run reports while it goes: the rows of metrics.jsonl and eval.jsonl and the callbacks
// that receive them. Not how they are written (run-files.ts) or shown (the CLI's progress display).

import type { TaskScore } from './tasks.js';

export interface StartEvent {
  runDir: string;
  totalSteps: number;
  /** The step the run continues from, or null for a fresh run. */
  resumedFromStep: number | null;
  /** The resolved run config (config.json). */
  config: Record<string, unknown>;
}

/** One row of metrics.jsonl. */
export interface StepEvent {
  step: number;
  totalSteps: number;
  tokens: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Training throughput since the previous logged row. */
  tokensPerSec: number;
  mfu: number | null;
  deviceHours: number;
  /** Mean seconds per optimizer step since the previous logged row (forward, backward, update, device waits). */
  stepSeconds: number;
  /** Mean clone symmetry, on rows of steps that ran an evaluation of a cloned model. */
  symmetry?: number;
  /** A run that grows in stages (growAt): the stage this step trained in (0 before the first growth). */
  stage?: number;
}

/** Validation metrics: next-token loss (nats), perplexity and top-1 accuracy on fixed windows. */
export interface ValMetrics {
  loss: number;
  ppl: number;
  acc: number;
  /** Target tokens scored. */
  tokens: number;
}

/** The paper's clone symmetry (1 = the copies are still exact), from init's symmetryReport. */
export interface SymmetryScore {
  /** Mean over all cloned matrices; null when nothing was cloned along its input. */
  mean: number | null;
  layers: { layer: string; similarity: number }[];
}

/** One row of eval.jsonl. */
export interface EvalEvent {
  step: number;
  tokens: number;
  flops: number;
  deviceHours: number;
  val: ValMetrics;
  tasks: Record<string, TaskScore>;
  symmetry: SymmetryScore | null;
  /** True on the first evaluation that reached the target. */
  reachedTarget: boolean;
  /** A run that grows in stages (growAt): the stage of the evaluated model. */
  stage?: number;
}

export interface CheckpointEvent {
  step: number;
  dir: string;
  reason: 'periodic' | 'final' | 'stop' | 'best';
}
