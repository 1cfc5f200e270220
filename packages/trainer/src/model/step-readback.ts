// The steps trained since the host last looked, and the divergence check over them. On an engine with
// core's MultiTensorOps the losses and norms stay on the device: a sticky guard there turns 1 at the first
// non-finite loss or gradient, and every AdamW update from then on is skipped on the device (skipIf), so
// the check can wait until a step is logged or saved (settle) without an update ever applying a NaN.
// Without those ops each step is read and checked at once (record). Not the step itself (train-step.ts).

import type { Backend, Tensor } from '@hyperclone/core';
import { hostTensor, multiTensorOps, type MultiTensorOps } from '@hyperclone/core';
import { disposeStats, readStepValues, type StepStats, type StepValues } from './train-step.js';

/** The first step with a non-finite loss or gradient norm; its update and every later one were not applied. */
export interface Divergence {
  step: number;
  values: StepValues;
  /** The step at which the host noticed (later than `step` when values stayed on the device meanwhile). */
  noticedAtStep: number;
}

/** What a divergence means for the user: the step, the value, what was not applied, and `lastGood` (the checkpoint to go back to). */
export function divergenceMessage({ step, values, noticedAtStep }: Divergence, lastGood: string): string {
  const what = Number.isFinite(values.loss) ? `gradient norm ${values.gradNorm}` : `loss ${values.loss}`;
  const later =
    noticedAtStep > step
      ? ` or the ${noticedAtStep - step} after it (read back at step ${noticedAtStep}; the device skipped those updates)`
      : '';
  return `training diverged at step ${step}: ${what}; stopped without applying the update${later}, and ${lastGood}. Lower the learning rate or warm up longer, and start again (from that checkpoint with --init)`;
}

/** Thrown by the model part when a step diverged; the run says what it means (divergenceMessage). */
export class DivergenceError extends Error {
  constructor(readonly divergence: Divergence) {
    super(`training diverged at step ${divergence.step}`);
  }
}

export type Settled = { ok: true; step: number; values: StepValues | null } | { ok: false; divergence: Divergence };

interface Pending {
  step: number;
  stats: StepStats;
}

const finite = (v: StepValues) => Number.isFinite(v.loss) && Number.isFinite(v.gradNorm);

export class StepReadback {
  private readonly ops: MultiTensorOps | null;
  /** One float32 on the device: 0 while every step was finite, then 1 for good. */
  private readonly guard: Tensor | null;
  private pending: Pending[] = [];
  private latest: { step: number; values: StepValues } | null = null;

  constructor(private readonly b: Backend) {
    this.ops = multiTensorOps(b);
    this.guard = this.ops ? b.keep(b.fromHost(hostTensor([1], new Float32Array(1)))) : null;
  }

  /** The optimizer's skip flag (null when each step is checked on the host before its update). */
  get skipIf(): Tensor | null {
    return this.guard;
  }

  /** Takes a step's stats (and their ownership); returns its divergence when checked on the host at once. */
  record(step: number, stats: StepStats): Divergence | null {
    if (this.ops && this.guard) {
      this.flag(stats);
      this.track(step, stats);
      return null;
    }
    const values = readStepValues(this.b, stats);
    disposeStats(this.b, stats);
    if (!finite(values)) return { step, values, noticedAtStep: step };
    this.latest = { step, values };
    return null;
  }

  /** The device half of record(): sets the guard when the step's loss or norm is not finite (nothing read back). */
  flag(stats: StepStats): void {
    if (!this.ops || !this.guard) throw new Error('StepReadback.flag needs an engine with a device guard (flagNonFinite)');
    this.ops.flagNonFinite(this.guard, [stats.sumSq, ...stats.losses]);
  }

  /** The host half of record(): keeps the flagged step's stats (and their ownership) until the next settle(). */
  track(step: number, stats: StepStats): void {
    this.pending.push({ step, stats });
  }

  /** Reads the steps since the last look back (waiting for the device) and says whether one diverged. */
  settle(): Settled {
    const pending = this.pending;
    if (pending.length === 0) return { ok: true, step: this.latest?.step ?? 0, values: this.latest?.values ?? null };
    this.pending = [];
    try {
      const last = pending.at(-1)!;
      if (this.b.toHost(this.guard!).data[0] !== 0) return { ok: false, divergence: firstNonFinite(this.b, pending, last.step) };
      this.latest = { step: last.step, values: readStepValues(this.b, last.stats) };
      return { ok: true, step: last.step, values: this.latest.values };
    } finally {
      for (const p of pending) disposeStats(this.b, p.stats);
    }
  }

  dispose(): void {
    for (const p of this.pending) disposeStats(this.b, p.stats);
    this.pending = [];
    if (this.guard) this.b.dispose(this.guard);
  }
}

function firstNonFinite(b: Backend, pending: readonly Pending[], noticedAtStep: number): Divergence {
  for (const p of pending) {
    const values = readStepValues(b, p.stats);
    if (!finite(values)) return { step: p.step, values, noticedAtStep };
  }
  // the guard was set by an earlier settle's steps: cannot happen, since a set guard stops the run there
  throw new Error(`the non-finite guard is set but no step since the last check was non-finite (at step ${noticedAtStep})`);
}
