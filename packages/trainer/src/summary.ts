// summary.json: the run's outcome and cost with every DESIGN.md field present (null where it does
// not apply), plus a few extras that say how the numbers were made. Not the per-step logs.

import type { Accounting } from './accounting.js';
import type { EvalEvent } from './events.js';
import type { RunConfig } from './run-config.js';
import type { TargetHit } from './targets.js';
import type { TaskScore } from './tasks.js';

export type StopReason = 'completed' | 'target' | 'stop-after' | 'interrupted';

export interface Summary {
  init: string;
  backend: string;
  device: { kind: string; name: string; count: number };
  params: number;
  steps: number;
  tokens: number;
  flops: number;
  trainSeconds: number;
  deviceHours: number;
  finalValLoss: number | null;
  finalValAcc: number | null;
  bestValLoss: number | null;
  target: { metric: string; value: number } | null;
  reachedTarget: boolean | null;
  stepsToTarget: number | null;
  tokensToTarget: number | null;
  flopsToTarget: number | null;
  deviceHoursToTarget: number | null;
  tokensPerSec: number | null;
  mfu: number | null;
  // extras
  engine: string;
  totalSteps: number;
  stopReason: StopReason;
  wallSeconds: number;
  finalValPpl: number | null;
  tasks: Record<string, TaskScore>;
  peakFlopsPerSec: number | null;
  peakSource: string | null;
  /** The last checkpoint written, relative to the run directory (e.g. checkpoints/step-00000400). */
  checkpoint: string | null;
}

export interface SummaryInputs {
  config: RunConfig;
  accounting: Accounting;
  lastEval: EvalEvent | null;
  bestValLoss: number | null;
  hit: TargetHit | null;
  stopReason: StopReason;
  peakSource: string | null;
  checkpoint: string | null;
}

export function buildSummary(s: SummaryInputs): Summary {
  const { config, accounting: a, lastEval, hit } = s;
  const tokensPerSec = a.tokensPerSec();
  return {
    init: config.init.kind,
    backend: config.backend.name,
    device: { ...config.backend.device },
    params: config.params,
    steps: a.step,
    tokens: a.tokens,
    flops: a.flops(),
    trainSeconds: a.trainSeconds,
    deviceHours: a.deviceHours(),
    finalValLoss: lastEval?.val.loss ?? null,
    finalValAcc: lastEval?.val.acc ?? null,
    bestValLoss: s.bestValLoss,
    target: config.target ? { ...config.target } : null,
    reachedTarget: config.target ? hit !== null : null,
    stepsToTarget: hit?.step ?? null,
    tokensToTarget: hit?.tokens ?? null,
    flopsToTarget: hit?.flops ?? null,
    deviceHoursToTarget: hit?.deviceHours ?? null,
    tokensPerSec,
    mfu: a.mfu(tokensPerSec),
    engine: config.backend.engine,
    totalSteps: config.steps,
    stopReason: s.stopReason,
    wallSeconds: a.wallSeconds(),
    finalValPpl: lastEval?.val.ppl ?? null,
    tasks: lastEval?.tasks ?? {},
    peakFlopsPerSec: a.peakFlopsPerSec,
    peakSource: s.peakSource,
    checkpoint: s.checkpoint,
  };
}

/** The DESIGN.md fields, in order: tests and readers check summary.json against this list. */
export const SUMMARY_FIELDS = [
  'init',
  'backend',
  'device',
  'params',
  'steps',
  'tokens',
  'flops',
  'trainSeconds',
  'deviceHours',
  'finalValLoss',
  'finalValAcc',
  'bestValLoss',
  'target',
  'reachedTarget',
  'stepsToTarget',
  'tokensToTarget',
  'flopsToTarget',
  'deviceHoursToTarget',
  'tokensPerSec',
  'mfu',
] as const satisfies readonly (keyof Summary)[];
