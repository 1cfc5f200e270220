// trainer-state.json: everything beyond weights and moments that a resumed run needs to continue
// bit for bit (step, sampler cursor, schedule position, accounting, best loss, target record).
// Not the weights or moments (model.safetensors, optimizer.safetensors).

import type { SamplerState } from '@hyperclone/data';
import type { AccountingState } from './accounting.js';
import type { EvalEvent } from './events.js';
import type { Schedule } from './schedule.js';
import type { TargetHit } from './targets.js';

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
  /** The training sampler's cursor (its RNG state included). */
  sampler: SamplerState;
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
