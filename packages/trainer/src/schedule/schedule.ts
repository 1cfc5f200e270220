// Learning-rate schedules: linear warmup, then cosine to a floor, warmup-stable-decay, or constant, each a
// pure function of the step (so a resumed run gets the same rates), and the run's schedule as a Stateful
// part whose whole state is that function and the next step. Not the optimizer (model/adamw.ts).

import type { Stateful } from '@hyperclone/core';

export const SCHEDULE_KINDS = ['cosine', 'wsd', 'constant'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export interface Schedule {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  /** Floor reached at the last step (cosine, wsd). */
  minLr: number;
  /** Steps of linear warmup from lr/warmupSteps to lr. */
  warmupSteps: number;
  totalSteps: number;
  /** wsd: the fraction of totalSteps spent in the final linear decay. */
  decayFraction: number;
  /** Growth stages (grow-stages.ts): after step `step` the rate warms up again over `warmupSteps`. Absent: none. */
  restarts?: { step: number; warmupSteps: number }[];
}

/**
 * The learning rate of optimizer step `step` (1-based: the first update is step 1).
 *   1. warmup:   step <= warmupSteps, lr · step / warmupSteps
 *   2. constant: lr
 *   3. cosine:   minLr + (lr - minLr) · (1 + cos(π · progress)) / 2, progress 0 -> 1 after warmup
 *   4. wsd:      lr until the last decayFraction of the run, then linear to minLr
 *   5. growth:   any of these times (step - S) / warmupSteps over the warmupSteps steps after a growth after step S
 */
export function learningRate(step: number, s: Schedule): number {
  const restart = s.restarts?.findLast((r) => r.step < step);
  const rewarm = restart && restart.warmupSteps > 0 ? Math.min(1, (step - restart.step) / restart.warmupSteps) : 1;
  return rewarm * baseRate(step, s);
}

/** Branches 1-4: the schedule without growth stages. */
function baseRate(step: number, s: Schedule): number {
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  if (s.kind === 'constant') return s.lr;
  if (s.kind === 'cosine') {
    const span = Math.max(1, s.totalSteps - s.warmupSteps);
    const progress = Math.min(1, (step - s.warmupSteps) / span);
    return s.minLr + ((s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
  const decaySteps = Math.max(1, Math.round(s.decayFraction * s.totalSteps));
  const decayStart = Math.max(s.warmupSteps, s.totalSteps - decaySteps);
  if (step <= decayStart) return s.lr;
  const progress = Math.min(1, (step - decayStart) / Math.max(1, s.totalSteps - decayStart));
  return s.lr + (s.minLr - s.lr) * progress;
}

/** trainer-state.json's schedule: the function and the step it gives a rate for next. */
export type ScheduleState = Schedule & { nextStep: number };

/** The run's schedule: its rates, and where it stands (the step after the last rate given). */
export class RunSchedule implements Stateful<ScheduleState> {
  private nextStep = 1;

  constructor(readonly schedule: Schedule) {}

  /** The rate of optimizer step `step` (1-based). */
  rate(step: number): number {
    this.nextStep = step + 1;
    return learningRate(step, this.schedule);
  }

  stateDict(): ScheduleState {
    return { ...this.schedule, nextStep: this.nextStep };
  }

  /** The function is the run's (its settings are fixed across resumes); only the position is taken. */
  loadStateDict(state: ScheduleState): void {
    this.nextStep = state.nextStep;
  }
}
