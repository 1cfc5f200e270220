// summary.json: the run's outcome and cost with every field docs/design.md lists present (null where it does
// not apply), plus a few extras that say how the numbers were made. Not the per-step logs.

import type { GrowthSpec } from '@hyperclone/init';
import { recordPath } from '../run/recorded-path.js';
import type { RunParts } from '../run/run-parts.js';
import type { Accounting } from '../accounting/accounting.js';
import type { EvalEvent } from './events.js';
import type { RunConfig } from '../run/run-config.js';
import type { TargetHit } from '../accounting/targets.js';
import type { StageMark } from '../checkpoints/trainer-state.js';
import type { TaskScore } from '../evaluation/tasks.js';

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
  /** The growth that made the initial model (a clone, or a checkpoint of one); null otherwise. */
  growth: GrowthSpec | null;
  /** A run that grew in stages (growAt): each stage reached, with its model, growth and what it cost; null otherwise. */
  stages: StageSummary[] | null;
}

/** One growth stage of a run: its steps, its model's size, and the tokens, FLOPs and time it took. */
export interface StageSummary {
  stage: number;
  /** It trained steps fromStep + 1 .. toStep. */
  fromStep: number;
  toStep: number;
  dModel: number;
  nLayer: number;
  dFF: number;
  params: number;
  flopsPerToken: number;
  /** The growth that began the stage (null for the first). */
  growth: GrowthSpec | null;
  tokens: number;
  flops: number;
  trainSeconds: number;
  /** Wall-clock time from the stage's start to its end (or to now) times the devices. */
  deviceHours: number;
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
  /** The current stage, and where each stage after the first began. */
  stage: number;
  stageMarks: StageMark[];
}

/** The summary of a run's parts now, stopped for `stopReason`. */
export function runSummary(p: RunParts, stopReason: StopReason): Summary {
  const { config, accounting, evaluator, checkpointer, model } = p;
  return buildSummary({
    config,
    accounting: accounting.cost,
    lastEval: evaluator.lastEval,
    bestValLoss: evaluator.bestValLoss,
    hit: accounting.hit,
    stopReason,
    peakSource: p.peakSource,
    checkpoint: checkpointer.lastSaved ? recordPath(config.out, checkpointer.lastSaved.path) : null,
    stage: model.stage,
    stageMarks: accounting.stageMarks,
  });
}

export function buildSummary(s: SummaryInputs): Summary {
  const { config, accounting: a, lastEval, hit } = s;
  const tokensPerSec = a.tokensPerSec();
  return {
    init: config.init.kind,
    backend: config.backend.name,
    device: { ...config.backend.device },
    params: config.stages[s.stage]?.params ?? config.params, // the model the run ended with
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
    growth: config.init.growth ?? null,
    stages: config.stages.length > 1 ? stageSummaries(s) : null,
  };
}

/** Each stage reached, from the marks at its start to the next one's (the last one to now). */
function stageSummaries(s: SummaryInputs): StageSummary[] {
  const a = s.accounting;
  const start: Omit<StageMark, 'stage'> = { step: 0, tokens: 0, flops: 0, trainSeconds: 0, wallSeconds: 0 };
  const now: Omit<StageMark, 'stage'> = {
    step: a.step,
    tokens: a.tokens,
    flops: a.flops(),
    trainSeconds: a.trainSeconds,
    wallSeconds: a.wallSeconds(),
  };
  const bounds = [{ stage: 0, ...start }, ...s.stageMarks];
  return bounds.map((from, i) => {
    const to = bounds[i + 1] ?? now;
    const st = s.config.stages[from.stage]!;
    return {
      stage: from.stage,
      fromStep: from.step,
      toStep: to.step,
      dModel: st.model.dModel,
      nLayer: st.model.nLayer,
      dFF: st.model.dFF,
      params: st.params,
      flopsPerToken: st.flopsPerToken,
      growth: st.growth,
      tokens: to.tokens - from.tokens,
      flops: to.flops - from.flops,
      trainSeconds: to.trainSeconds - from.trainSeconds,
      deviceHours: ((to.wallSeconds - from.wallSeconds) * s.config.backend.device.count) / 3600,
    };
  });
}

/** The fields docs/design.md lists, in order: tests and readers check summary.json against this list. */
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
