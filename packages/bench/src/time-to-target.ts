// Reading a run's evaluations back and finding when it first reached a target.
// Not the trainer's in-loop target check (targets.ts): this works after the fact on any target.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalEvent } from '@hyperclone/trainer';

export type TargetMetric = 'valAcc' | 'valLoss';

export interface Cost {
  step: number;
  tokens: number;
  flops: number;
  deviceHours: number;
}

export function readEvals(runDir: string): EvalEvent[] {
  const text = readFileSync(join(runDir, 'eval.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EvalEvent);
}

export function metricOf(e: EvalEvent, metric: TargetMetric): number {
  return metric === 'valAcc' ? e.val.acc : e.val.loss;
}

export function reached(value: number, target: number, metric: TargetMetric): boolean {
  return metric === 'valAcc' ? value >= target : value <= target;
}

/**
 * The cost where the run first reached the target, interpolated linearly between the evaluation
 * before and the first evaluation at or past the target (evaluations are discrete, so the hit
 * evaluation alone would round every run up to the next one); null if no evaluation reached it.
 */
export function costToTarget(evals: readonly EvalEvent[], metric: TargetMetric, target: number): Cost | null {
  const i = evals.findIndex((e) => reached(metricOf(e, metric), target, metric));
  if (i < 0) return null;
  const hit = evals[i]!;
  const at = (e: EvalEvent): Cost => ({ step: e.step, tokens: e.tokens, flops: e.flops, deviceHours: e.deviceHours });
  if (i === 0) return at(hit);
  const prev = evals[i - 1]!;
  const span = metricOf(hit, metric) - metricOf(prev, metric);
  const f = span === 0 ? 1 : (target - metricOf(prev, metric)) / span; // in (0, 1]
  const lerp = (a: number, b: number) => a + f * (b - a);
  return {
    step: lerp(prev.step, hit.step),
    tokens: lerp(prev.tokens, hit.tokens),
    flops: lerp(prev.flops, hit.flops),
    deviceHours: lerp(prev.deviceHours, hit.deviceHours),
  };
}
