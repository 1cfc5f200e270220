// The terminal progress display of `hyperclone train`: one rewritten line on a TTY (step/total,
// loss, tokens/s, MFU, ETA), plain lines at most every few seconds otherwise, and a line for each
// evaluation. Not logging (logger.ts writes train.log).

import type { EvalEvent, StepEvent } from '@hyperclone/trainer';

export interface ProgressOptions {
  /** Rewrite one line in place (a terminal) or print plain lines (a pipe, a CI log). */
  tty: boolean;
  /** Plain mode: seconds between lines. */
  plainEverySec?: number;
  /** Milliseconds now (tests pass a fake clock). */
  clock?: () => number;
}

export class ProgressDisplay {
  /** The first step event of the current run (a bench trains several runs through one display): the
   * ETA is timed from there, so start-up and the first, slowest step do not inflate it. */
  private anchor: { step: number; ms: number } | null = null;
  private lastStep = 0;
  private lastDrawMs = -Infinity;
  private lineOpen = false;

  constructor(
    private readonly out: { write(s: string): unknown },
    private readonly options: ProgressOptions,
  ) {}

  step(e: StepEvent): void {
    const now = (this.options.clock ?? performance.now.bind(performance))();
    if (this.anchor === null || e.step <= this.lastStep) this.anchor = { step: e.step, ms: now };
    this.lastStep = e.step;
    const every = this.options.tty ? 100 : (this.options.plainEverySec ?? 5) * 1000;
    if (now - this.lastDrawMs < every && e.step !== e.totalSteps) return;
    this.lastDrawMs = now;
    const line = formatStep(e, this.etaSeconds(e, now));
    if (this.options.tty) {
      this.out.write(`\r\x1b[2K${line}`);
      this.lineOpen = true;
    } else this.out.write(`${line}\n`);
  }

  eval(e: EvalEvent): void {
    const tasks = Object.entries(e.tasks).map(([name, s]) => ` | ${name} acc ${s.acc.toFixed(3)} accNorm ${s.accNorm.toFixed(3)}`);
    const sym = e.symmetry?.mean != null ? ` | symmetry ${e.symmetry.mean.toFixed(4)}` : '';
    const target = e.reachedTarget ? ' | reached the target' : '';
    this.note(
      `eval step ${e.step} | val loss ${e.val.loss.toFixed(4)} | ppl ${e.val.ppl.toFixed(2)} | acc ${e.val.acc.toFixed(4)}${tasks.join('')}${sym}${target}`,
    );
  }

  /** A line of its own, below the progress line. */
  note(text: string): void {
    if (this.lineOpen) this.out.write('\r\x1b[2K');
    this.lineOpen = false;
    this.out.write(`${text}\n`);
    this.lastDrawMs = -Infinity;
  }

  end(): void {
    if (this.lineOpen) this.out.write('\n');
    this.lineOpen = false;
  }

  private etaSeconds(e: StepEvent, nowMs: number): number | null {
    const done = e.step - (this.anchor?.step ?? e.step);
    if (done <= 0 || this.anchor === null) return null;
    return (((nowMs - this.anchor.ms) / 1000) * (e.totalSteps - e.step)) / done;
  }
}

export function formatStep(e: StepEvent, etaSec: number | null): string {
  const width = String(e.totalSteps).length;
  const parts = [
    `step ${String(e.step).padStart(width)}/${e.totalSteps}`,
    `loss ${e.loss.toFixed(4)}`,
    `lr ${e.lr.toExponential(2)}`,
    `${Math.round(e.tokensPerSec).toLocaleString('en-US')} tok/s`,
  ];
  if (e.mfu !== null) parts.push(`mfu ${(100 * e.mfu).toFixed(1)}%`);
  if (etaSec !== null) parts.push(`ETA ${formatDuration(etaSec)}`);
  return parts.join(' | ');
}

export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
