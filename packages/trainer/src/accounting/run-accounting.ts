// The run's cost and progress as one Stateful part: the counters (accounting.ts: steps, tokens, FLOPs per
// stage, time, device-hours, MFU), the throughput since the last logged row, where each growth stage began,
// and the target's first hit. Not the loop (run/training-run.ts) and not the evaluation it judges (evaluation/).

import type { Stateful } from '@hyperclone/core';
import type { EvalEvent, StepEvent } from '../metrics/events.js';
import type { StepValues } from '../model/train-step.js';
import type { StageMark } from '../checkpoints/trainer-state.js';
import type { RunConfig } from '../run/run-config.js';
import type { Accounting, AccountingState } from './accounting.js';
import { metricValue, reaches, type TargetHit } from './targets.js';

/** What a checkpoint keeps of the part (trainer-state.json's step, tokens, accounting, deviceSeconds, targetHit, stages). */
export interface RunAccountingState {
  step: number;
  tokens: number;
  accounting: AccountingState;
  /** Elapsed device-seconds (wall-clock × devices) of the run so far. */
  deviceSeconds: number;
  targetHit: TargetHit | null;
  /** Absent until the run has grown. */
  stages?: StageMark[];
}

export class RunAccounting implements Stateful<RunAccountingState> {
  hit: TargetHit | null = null;
  /** Where each growth stage after the first began, for its cost in the summary. */
  stageMarks: StageMark[] = [];
  private sinceLog = { steps: 0, tokens: 0, trainSeconds: 0 };
  private lastLr = 0;

  constructor(
    private readonly config: Pick<RunConfig, 'steps' | 'tokensPerStep' | 'target' | 'stages'>,
    readonly cost: Accounting,
  ) {}

  get step(): number {
    return this.cost.step;
  }

  /** One optimizer step done at rate `lr`, taking `seconds`. */
  addStep(seconds: number, lr: number): void {
    this.cost.addStep(this.config.tokensPerStep, seconds);
    this.sinceLog.steps++;
    this.sinceLog.tokens += this.config.tokensPerStep;
    this.sinceLog.trainSeconds += seconds;
    this.lastLr = lr;
  }

  /** Waiting for the device to finish queued steps: training time, but no step. */
  addWait(seconds: number): void {
    this.cost.addWait(seconds);
    this.sinceLog.trainSeconds += seconds;
  }

  /** Growth stage `stage` starts now: the tokens so far counted at the old size, the next at `flopsPerToken`. */
  startStage(stage: number, flopsPerToken: number): void {
    const a = this.cost;
    this.stageMarks.push({
      stage,
      step: a.step,
      tokens: a.tokens,
      flops: a.flops(),
      trainSeconds: a.trainSeconds,
      wallSeconds: a.wallSeconds(),
    });
    a.startStage(flopsPerToken);
  }

  /** The metrics.jsonl row of the latest step (throughput and step time: means since the last row), and a new span. */
  stepRow(values: StepValues, stage: number): StepEvent {
    const a = this.cost;
    const tokensPerSec = this.sinceLog.tokens / Math.max(this.sinceLog.trainSeconds, 1e-9);
    const row: StepEvent = {
      step: a.step,
      totalSteps: this.config.steps,
      tokens: a.tokens,
      loss: values.loss,
      lr: this.lastLr,
      gradNorm: values.gradNorm,
      tokensPerSec,
      mfu: a.mfu(tokensPerSec),
      deviceHours: a.deviceHours(),
      stepSeconds: this.sinceLog.trainSeconds / Math.max(this.sinceLog.steps, 1),
    };
    if (this.config.stages.length > 1) row.stage = stage;
    this.sinceLog = { steps: 0, tokens: 0, trainSeconds: 0 };
    return row;
  }

  /** Where an evaluation row starts: the cost so far. */
  evalMark(): Pick<EvalEvent, 'step' | 'tokens' | 'flops' | 'deviceHours'> {
    const a = this.cost;
    return { step: a.step, tokens: a.tokens, flops: a.flops(), deviceHours: a.deviceHours() };
  }

  /** Records the target's first hit at this evaluation (and marks the row); true when it is the first. */
  recordTarget(row: EvalEvent): boolean {
    const target = this.config.target;
    if (!target || this.hit) return false;
    const value = metricValue(target.metric, row.val, row.tasks);
    if (value === null || !reaches(target, value)) return false;
    this.hit = { step: row.step, tokens: row.tokens, flops: row.flops, deviceHours: row.deviceHours, value };
    row.reachedTarget = true;
    return true;
  }

  stateDict(): RunAccountingState {
    const a = this.cost;
    return {
      step: a.step,
      tokens: a.tokens,
      accounting: a.stateDict(),
      deviceSeconds: a.deviceHours() * 3600,
      targetHit: this.hit,
      ...(this.stageMarks.length ? { stages: this.stageMarks } : {}),
    };
  }

  loadStateDict(state: RunAccountingState): void {
    this.cost.loadStateDict(state.accounting);
    this.hit = state.targetHit;
    this.stageMarks = state.stages ?? [];
  }
}
