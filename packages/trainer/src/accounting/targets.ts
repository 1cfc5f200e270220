// Targets: which evaluation metric a run aims at and whether an evaluation reached it, recording the
// cost of the first one that did. Not evaluation itself (evaluate.ts, tasks.ts).

import type { ValMetrics } from '../metrics/events.js';
import type { Target } from '../options/option-table.js';
import type { TaskScore } from '../evaluation/tasks.js';

export interface TargetHit {
  step: number;
  tokens: number;
  flops: number;
  deviceHours: number;
  /** The metric's value at that evaluation. */
  value: number;
}

/** The target metric's value in an evaluation, or null when the evaluation lacks it (a task not run). */
export function metricValue(metric: string, val: ValMetrics, tasks: Readonly<Record<string, TaskScore>>): number | null {
  if (metric === 'valLoss') return val.loss;
  if (metric === 'valAcc') return val.acc;
  const dot = metric.lastIndexOf('.');
  const score = tasks[metric.slice(0, dot)];
  if (!score) return null;
  return metric.slice(dot + 1) === 'accNorm' ? score.accNorm : score.acc;
}

/** Loss targets are reached at or below the value, accuracy targets at or above it. */
export function reaches(target: Target, value: number): boolean {
  return target.metric === 'valLoss' ? value <= target.value : value >= target.value;
}

/** Task names a target needs (so the run evaluates that task), e.g. 'arc_easy' for 'arc_easy.acc'. */
export function targetTask(target: Target | null): string | null {
  if (!target || target.metric === 'valLoss' || target.metric === 'valAcc') return null;
  return target.metric.slice(0, target.metric.lastIndexOf('.'));
}
