// Cost accounting of a run: tokens, formula FLOPs, time in training steps, wall-clock device-hours
// and MFU, carried across resumes so a resumed run reports the whole run's cost.
// Not timing of individual ops and not the peak table (peaks.ts).

import type { Stateful } from '@hyperclone/core';

export interface AccountingState {
  step: number;
  tokens: number;
  /** Seconds spent inside training steps (forward, backward, update), all invocations. */
  trainSeconds: number;
  /** Wall-clock seconds of all earlier invocations (start to exit, evaluation and saving included). */
  wallSeconds: number;
  /** A run that grows in stages: FLOPs of the finished stages and the tokens at the current stage's start (absent: 0). */
  flopsBeforeStage?: number;
  tokensAtStage?: number;
}

export interface PeakOptions {
  /** The peak was measured on this machine: a lower bound of the true peak (a loaded CPU measures
   * low), so a training throughput above it raises it instead of reporting MFU over 100%. */
  measured?: boolean;
  /** Told when a measured peak is raised (old and new FLOP/s). */
  onRaised?: (fromFlopsPerSec: number, toFlopsPerSec: number) => void;
}

export class Accounting implements Stateful<AccountingState> {
  step = 0;
  tokens = 0;
  trainSeconds = 0;
  private wallBeforeSec = 0;
  private flopsBeforeStage = 0;
  private tokensAtStage = 0;
  private readonly startMs = performance.now();
  private reportedPeak: number;

  constructor(
    /** Training FLOPs per token of the current stage (core's trainFlopsPerToken at the run's sequence length). */
    public flopsPerToken: number,
    readonly deviceCount: number,
    /** Peak FLOP/s of all devices together; null when unknown. */
    private peak: number | null,
    private readonly peakOptions: PeakOptions = {},
  ) {
    this.reportedPeak = peak ?? 0;
  }

  get peakFlopsPerSec(): number | null {
    return this.peak;
  }

  stateDict(): AccountingState {
    const state: AccountingState = {
      step: this.step,
      tokens: this.tokens,
      trainSeconds: this.trainSeconds,
      wallSeconds: this.wallSeconds(),
    };
    if (this.tokensAtStage > 0) Object.assign(state, { flopsBeforeStage: this.flopsBeforeStage, tokensAtStage: this.tokensAtStage });
    return state;
  }

  loadStateDict(s: AccountingState): void {
    this.step = s.step;
    this.tokens = s.tokens;
    this.trainSeconds = s.trainSeconds;
    this.wallBeforeSec = s.wallSeconds;
    this.flopsBeforeStage = s.flopsBeforeStage ?? 0;
    this.tokensAtStage = s.tokensAtStage ?? 0;
  }

  /** A growth: the tokens so far are counted at the old size, the ones from here at `flopsPerToken`. */
  startStage(flopsPerToken: number): void {
    this.flopsBeforeStage = this.flops();
    this.tokensAtStage = this.tokens;
    this.flopsPerToken = flopsPerToken;
  }

  addStep(tokens: number, seconds: number): void {
    this.step++;
    this.tokens += tokens;
    this.trainSeconds += seconds;
  }

  /** Time spent waiting for a device to finish queued steps: training time, but no step. */
  addWait(seconds: number): void {
    this.trainSeconds += seconds;
  }

  wallSeconds(): number {
    return this.wallBeforeSec + (performance.now() - this.startMs) / 1000;
  }

  /** Wall-clock hours of the run so far times the devices in use. */
  deviceHours(): number {
    return (this.wallSeconds() * this.deviceCount) / 3600;
  }

  /** Formula FLOPs so far, each stage of a growing run at its own FLOPs per token. */
  flops(): number {
    return this.flopsBeforeStage + (this.tokens - this.tokensAtStage) * this.flopsPerToken;
  }

  /** Training throughput over the whole run (tokens per second of training steps). */
  tokensPerSec(): number | null {
    return this.trainSeconds > 0 ? this.tokens / this.trainSeconds : null;
  }

  /** Model FLOPs utilization at a throughput: formula FLOP/s over the devices' peak. */
  mfu(tokensPerSec: number | null): number | null {
    if (tokensPerSec === null || this.peak === null || this.peak <= 0) return null;
    const achieved = tokensPerSec * this.flopsPerToken;
    if (this.peakOptions.measured && achieved > this.peak) {
      if (achieved > 1.05 * this.reportedPeak) {
        this.peakOptions.onRaised?.(this.reportedPeak, achieved); // said again only after another 5%
        this.reportedPeak = achieved;
      }
      this.peak = achieved;
    }
    return achieved / this.peak;
  }
}
