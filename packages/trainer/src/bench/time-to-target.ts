// Reading a run's evaluations back and finding when it first reached a target.
// Not the trainer's in-loop target check (targets.ts): this works after the fact on any target.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalEvent } from '../events.js';

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

/** The cost at the first evaluation that reached the target, or null if none did. */
export function costToTarget(evals: readonly EvalEvent[], metric: TargetMetric, target: number): Cost | null {
  const hit = evals.find((e) => reached(metricOf(e, metric), target, metric));
  return hit ? { step: hit.step, tokens: hit.tokens, flops: hit.flops, deviceHours: hit.deviceHours } : null;
}
