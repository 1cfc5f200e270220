// The training loop, composed of the run's parts: each step grows the model when a stage is due, trains,
// evaluates and logs when due, saves when due, and stops at the end, at a target, after --stop-after steps,
// or when asked (always leaving a checkpoint). Not the parts (model/, data/, schedule/, accounting/,
// evaluation/, checkpoints/, metrics/, distributed/) and not opening a run (open-run.ts).

import { runCheckpoint } from '../checkpoints/run-checkpoint.js';
import type { CheckpointEvent, EvalEvent } from '../metrics/events.js';
import type { RunSinks } from '../metrics/metrics-sink.js';
import { runSummary, type StopReason, type Summary } from '../metrics/summary.js';
import { stageIndexAt } from '../model/grow-stages.js';
import { DivergenceError, divergenceMessage } from '../model/step-readback.js';
import { dropoutSeed, type StepValues } from '../model/train-step.js';
import type { RunParts } from './run-parts.js';

export class TrainingRun {
  constructor(readonly p: RunParts) {}

  /** The run is open (config.json is the start event's first write); `resumedFrom`: the checkpoint's step, or null. */
  async start(resumedFrom: number | null): Promise<void> {
    const c = this.p.config;
    await this.emit({ kind: 'start', runDir: c.out, totalSteps: c.steps, resumedFromStep: resumedFrom, config: c });
  }

  /** Runs until a stop; `fresh`: not resumed (only a fresh run evaluates its initial weights). */
  async run(fresh: boolean, signal: AbortSignal | undefined): Promise<StopReason> {
    return this.saying(async () => {
      if (fresh && this.p.config.evalAtStart && (await this.evaluateAtStart())) return 'target';
      return this.loop(signal);
    });
  }

  private async loop(signal: AbortSignal | undefined): Promise<StopReason> {
    const { config: c, ranks, accounting } = this.p;
    let ran = 0;
    while (accounting.step < c.steps) {
      if (ranks.stopsBefore(accounting.step + 1, signal?.aborted === true)) return 'interrupted';
      await this.growIfDue(); // a growth stage (growAt) starts after its step, before the next one
      // steps that are neither logged, evaluated nor saved read nothing back from the device
      const step = this.trainStep();
      ran++;
      const last = step === c.steps;
      const evalRow = step % c.evalEvery === 0 || last ? await this.evaluate() : null;
      if (step % c.logEvery === 0 || last || evalRow) await this.logStep(evalRow?.symmetry?.mean ?? undefined);
      if (evalRow && this.p.evaluator.takeBest() && c.keepBest) await this.saveBest();
      if (c.checkpointEvery > 0 && step % c.checkpointEvery === 0) await this.checkpoint('periodic');
      if (evalRow?.reachedTarget && c.stopAtTarget) return 'target';
      if (c.stopAfter !== null && ran >= c.stopAfter && !last) return 'stop-after';
      await yieldToEvents(); // lets a SIGINT handler run between steps
    }
    return 'completed';
  }

  /** Step 0: the initial weights' evaluation; true when it already meets a target the run stops at. */
  private async evaluateAtStart(): Promise<boolean> {
    const row = await this.evaluate();
    if (this.p.evaluator.takeBest() && this.p.config.keepBest) await this.saveBest();
    return row.reachedTarget && this.p.config.stopAtTarget;
  }

  /** The last checkpoint, the summary (written by the sinks) and the end of the group: what every invocation ends with. */
  async finish(stopReason: StopReason): Promise<{ summary: Summary; checkpoint: string }> {
    return this.saying(async () => {
      const checkpoint = await this.checkpoint(stopReason === 'completed' ? 'final' : 'stop');
      const summary = runSummary(this.p, stopReason);
      await this.emit({ kind: 'summary', summary });
      this.p.ranks.finish(); // every rank is done with the group before any leaves
      return { summary, checkpoint };
    });
  }

  /** A divergence found on the way (at a step, or when its values are read back) said in words. */
  private async saying<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof DivergenceError)
        throw new Error(divergenceMessage(e.divergence, this.p.checkpointer.lastGoodText('no checkpoint was saved before it')));
      throw e;
    }
  }

  /** One optimizer step over gradAccum micro-batches; returns its number. */
  private trainStep(): number {
    const { config: c, ranks, accounting, model } = this.p;
    const step = accounting.step + 1;
    const lr = this.p.schedule.rate(step);
    const startMs = performance.now();
    const batches = Array.from({ length: c.gradAccum }, () => this.p.data.nextBatch());
    // each rank's rows get their own dropout masks (one process: micro itself)
    const seeds = batches.map((_, micro) => dropoutSeed(c.seed, step, micro * ranks.worldSize + ranks.rank));
    model.trainStep(step, batches, seeds, lr);
    accounting.addStep((performance.now() - startMs) / 1000, lr);
    return step;
  }

  /** Reads back the steps not yet looked at (the wait counts as training time); throws if one diverged. */
  private settle(): StepValues | null {
    const startMs = performance.now();
    const values = this.p.model.settle();
    this.p.accounting.addWait((performance.now() - startMs) / 1000);
    return values;
  }

  /** Grows the model when the next step belongs to a later stage (growAt); the cost counts the new size from here. */
  private async growIfDue(): Promise<void> {
    const { config: c, model, accounting } = this.p;
    const next = stageIndexAt(c.stages, accounting.step + 1);
    if (next === model.stage) return;
    this.settle();
    const afterStep = accounting.step;
    model.growTo(next, afterStep);
    const stage = c.stages[next]!;
    accounting.startStage(next, stage.flopsPerToken);
    const { dModel, nLayer } = stage.model;
    await this.emit({
      kind: 'grow',
      stage: next,
      afterStep,
      growth: stage.growth!,
      dModel,
      nLayer,
      params: stage.params,
      flopsPerToken: stage.flopsPerToken,
    });
  }

  /** The latest step's metrics.jsonl row (symmetry: on evaluation steps of a clone). */
  private async logStep(symmetry?: number): Promise<void> {
    const values = this.settle();
    if (!values) throw new Error('logStep: no step has been trained in this invocation yet');
    const row = this.p.accounting.stepRow(values, this.p.model.stage);
    if (symmetry !== undefined) row.symmetry = symmetry;
    await this.emit({ kind: 'step', row });
  }

  /** Validation, tasks and symmetry now; records the target's first hit. */
  private async evaluate(): Promise<EvalEvent> {
    this.settle();
    const { config: c, evaluator, accounting, model } = this.p;
    const row = evaluator.evaluate(model, accounting.evalMark());
    if (c.stages.length > 1) row.stage = model.stage;
    accounting.recordTarget(row);
    await this.emit({ kind: 'eval', row });
    if (Object.keys(row.tasks).length > 0) await this.emit({ kind: 'tasks', step: row.step, tasks: row.tasks });
    if (row.symmetry) await this.emit({ kind: 'symmetry', step: row.step, symmetry: row.symmetry });
    return row;
  }

  /** Saves weights, moments and trainer state as checkpoints/step-N (once per step); returns its path. */
  private async checkpoint(reason: CheckpointEvent['reason']): Promise<string> {
    this.settle(); // never save the weights of an unchecked step
    const step = this.p.accounting.step;
    // under ZeRO every rank gathers the moments (unless this step's checkpoint exists: the same on every rank)
    const gathered = this.p.checkpointer.lastSaved?.step === step ? null : this.p.model.gatheredState();
    const { path, saved } = await this.p.checkpointer.save(step, () => runCheckpoint(this.p, gathered));
    if (saved) await this.emit({ kind: 'checkpoint', step, dir: path, reason });
    return path;
  }

  private async saveBest(): Promise<void> {
    this.settle();
    const step = this.p.accounting.step;
    const gathered = this.p.model.gatheredState(); // every rank, under ZeRO
    const path = await this.p.checkpointer.saveBest(step, () => runCheckpoint(this.p, gathered));
    if (path !== null) await this.emit({ kind: 'checkpoint', step, dir: path, reason: 'best' });
  }

  /** Every sink gets the event, on rank 0 alone; a full disk names the last good checkpoint. */
  private async emit(event: Parameters<RunSinks['emit']>[0]): Promise<void> {
    await this.p.ranks.onMain(() => this.p.checkpointer.writing(() => this.p.sinks.emit(event)));
  }

  dispose(): void {
    this.p.model.dispose();
    this.p.source.close();
  }
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
