// trainer-state.json: everything beyond weights and moments that a resumed run needs to continue
// bit for bit (step, sampler cursor, schedule position, accounting, best loss, target record), gathered
// from the parts' stateDicts and handed back to them. Not the weights or moments (the model part's).

import type { AccountingState } from '../accounting/accounting.js';
import type { RunAccounting } from '../accounting/run-accounting.js';
import type { TargetHit } from '../accounting/targets.js';
import type { TrainData } from '../data/train-data.js';
import type { Evaluator } from '../evaluation/evaluator.js';
import type { EvalEvent } from '../metrics/events.js';
import type { RunSchedule, Schedule } from '../schedule/schedule.js';

export const TRAINER_STATE_FORMAT = 'hyperclone-trainer-state';
export const TRAINER_STATE_VERSION = 1;

export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  version: number;
  step: number;
  tokens: number;
  accounting: AccountingState;
  /** Elapsed device-seconds (wall-clock × devices) of the run so far. */
  deviceSeconds: number;
  /** The data part's cursor, its RNG state included (a dataset directory's: data's SamplerState). */
  sampler: unknown;
  /** Dropout masks are a pure function of (seed, step, micro-batch): the seed is all the RNG state there is. */
  rng: { seed: number; dropout: 'hash(seed, step, micro)' };
  schedule: Schedule & { nextStep: number };
  bestValLoss: number | null;
  lastEval: EvalEvent | null;
  targetHit: TargetHit | null;
  /** Where the data came from (dir relative to the checkpoint), so `hyperclone sample` can find the tokenizer. */
  data: { dir: string; tokenizer: string };
  /** A run that grows in stages: where each stage after the first began (absent: it has not grown). */
  stages?: StageMark[];
}

/** The accounting at the start of a growth stage (just after the growth), for the stage's own cost. */
export interface StageMark {
  stage: number;
  step: number;
  tokens: number;
  flops: number;
  trainSeconds: number;
  wallSeconds: number;
}

/** The parts whose state trainer-state.json holds. */
export interface StatefulParts {
  accounting: RunAccounting;
  data: TrainData;
  schedule: RunSchedule;
  evaluator: Evaluator;
}

/** trainer-state.json of the parts now; `data` says where the data came from (relative to the checkpoint). */
export function trainerState(p: StatefulParts, seed: number, data: TrainerState['data']): TrainerState {
  const a = p.accounting.stateDict();
  const e = p.evaluator.stateDict();
  return {
    format: TRAINER_STATE_FORMAT,
    version: TRAINER_STATE_VERSION,
    step: a.step,
    tokens: a.tokens,
    accounting: a.accounting,
    deviceSeconds: a.deviceSeconds,
    sampler: p.data.stateDict(),
    rng: { seed, dropout: 'hash(seed, step, micro)' },
    schedule: p.schedule.stateDict(),
    bestValLoss: e.bestValLoss,
    lastEval: e.lastEval,
    targetHit: a.targetHit,
    data,
    ...(a.stages ? { stages: a.stages } : {}),
  };
}

/** Hands each part its state back from a checked trainer-state.json (`source`: the checkpoint, for messages). */
export function loadTrainerState(p: StatefulParts, state: TrainerState, source: string): void {
  const { step, tokens, accounting, deviceSeconds, targetHit, stages } = state;
  p.accounting.loadStateDict({ step, tokens, accounting, deviceSeconds, targetHit, ...(stages ? { stages } : {}) });
  p.data.loadStateDict(state.sampler, source);
  p.schedule.loadStateDict(state.schedule);
  p.evaluator.loadStateDict({ bestValLoss: state.bestValLoss, lastEval: state.lastEval });
}

/** Checks a trainer-state.json read from disk; throws naming what is wrong. */
export function checkTrainerState(raw: Record<string, unknown> | undefined, source: string): TrainerState {
  if (!raw) throw new Error(`${source} has no trainer-state.json: it is not a training checkpoint, so it cannot be resumed`);
  if (raw['format'] !== TRAINER_STATE_FORMAT || raw['version'] !== TRAINER_STATE_VERSION) {
    throw new Error(
      `${source}/trainer-state.json has format ${JSON.stringify(raw['format'])} version ${JSON.stringify(raw['version'])}; expected ${TRAINER_STATE_FORMAT} version ${TRAINER_STATE_VERSION}`,
    );
  }
  const missing = ['step', 'tokens', 'accounting', 'sampler', 'schedule'].filter((k) => raw[k] === undefined);
  if (missing.length) throw new Error(`${source}/trainer-state.json lacks ${missing.join(', ')}: the checkpoint is damaged`);
  if (!Number.isInteger(raw['step']) || (raw['step'] as number) < 0)
    throw new Error(`${source}/trainer-state.json has an invalid step ${JSON.stringify(raw['step'])}`);
  return raw as unknown as TrainerState;
}
