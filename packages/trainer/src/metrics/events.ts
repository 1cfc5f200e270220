// What a run reports while it goes: its events (the start with its config, step rows, evaluations with
// their task scores and symmetry, growth stages, checkpoint saves, the final summary) as every metrics sink
// receives them. Not how they are written (jsonl-sink.ts, log-sink.ts) or shown (the CLI's progress display).

import type { GrowthSpec } from '@hyperclone/init';
import type { TaskScore } from '../evaluation/tasks.js';
import type { RunConfig } from '../run/run-config.js';
import type { Summary } from './summary.js';

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

/** A growth stage began (growAt): after step `afterStep` the model is stage `stage`'s. */
export interface GrowEvent {
  stage: number;
  afterStep: number;
  growth: GrowthSpec;
  dModel: number;
  nLayer: number;
  params: number;
  flopsPerToken: number;
}

/**
 * Everything a run reports, in order, to its metrics sinks (rank 0 alone): `start` once the run is open
 * (its resolved config, what config.json holds), a `step` row per logged step, an `eval` row per evaluation
 * followed by its `tasks` scores (when there are tasks) and `symmetry` (a clone's), `grow` when a stage
 * begins, `checkpoint` after each save, `summary` at the end of every invocation.
 */
export type RunEvent =
  | ({ kind: 'start' } & Omit<StartEvent, 'config'> & { config: RunConfig })
  | { kind: 'step'; row: StepEvent }
  | { kind: 'eval'; row: EvalEvent }
  | { kind: 'tasks'; step: number; tasks: Record<string, TaskScore> }
  | { kind: 'symmetry'; step: number; symmetry: SymmetryScore }
  | ({ kind: 'grow' } & GrowEvent)
  | ({ kind: 'checkpoint' } & CheckpointEvent)
  | { kind: 'summary'; summary: Summary };
