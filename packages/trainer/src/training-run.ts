// One training run in memory: weights and moments on the backend, the data, the accounting, and the
// three things a run does (a training step, an evaluation, a checkpoint). Not the loop's order of
// events or when to stop (train-from.ts), and not how a run is opened or resumed (open-run.ts).

import type { Backend, Checkpoint, Logger, ModelConfig, ParamSpec, Stateful, Tensor } from '@hyperclone/core';
import { downloadParams, disposeParams, isNoSpace, OutputError, paramSpec, uploadParams } from '@hyperclone/core';
import { growWeights } from '@hyperclone/init';
import type { Accounting } from './accounting.js';
import type { AdamW } from './adamw.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { DataParallel } from './data-parallel.js';
import { tokenizerOf } from './data-source.js';
import type { CheckpointEvent, EvalEvent, StepEvent, SymmetryScore, ValMetrics } from './events.js';
import { evaluateWindows } from './evaluate.js';
import type { ParsedTrainOptions } from './options.js';
import type { RunConfig } from './run-config.js';
import type { RunFiles } from './run-files.js';
import type { Schedule } from './schedule.js';
import { learningRate } from './schedule.js';
import { buildSummary, type StopReason, type Summary } from './summary.js';
import type { TargetHit } from './targets.js';
import { metricValue, reaches } from './targets.js';
import type { Task, TaskScore, TaskTokenizer } from './tasks.js';
import { scoreTask } from './tasks.js';
import type { TrainData } from './train-data.js';
import { StepReadback, type Divergence } from './step-readback.js';
import { computeGradients, dropoutSeed, type MicroBatch, type ReduceGradients, type StepShape, type StepValues } from './train-step.js';
import { StepReplay } from './step-replay.js';
import { stageIndexAt, type RunStage } from './grow-stages.js';
import type { StageMark, TrainerState } from './trainer-state.js';
import { TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION } from './trainer-state.js';
import { recordPath } from './recorded-path.js';

export type Hooks = Pick<ParsedTrainOptions, 'onStart' | 'onStep' | 'onEval' | 'onCheckpoint'>;

/** Measures clone symmetry from host weights (set for cloned models only). */
export type SymmetryProbe = (weights: ReturnType<typeof downloadParams>) => SymmetryScore;
/** The probe for a stage's model (its clone record), or null when it is no clone. */
export type SymmetryProbeFor = (stage: RunStage) => SymmetryProbe | null;

export interface RunParts {
  b: Backend;
  config: RunConfig;
  /** The growth stage the run starts in (a resumed run: its checkpoint's); specs, params, optimizer and accounting are that stage's. */
  stage: number;
  specs: ParamSpec[];
  params: Record<string, Tensor>;
  optimizer: AdamW;
  data: TrainData;
  files: RunFiles;
  store: CheckpointStore;
  accounting: Accounting;
  schedule: Schedule;
  tasks: Task[];
  tokenizer: TaskTokenizer | null;
  symmetry: SymmetryProbe | null;
  /** Makes the symmetry probe of a stage a growth starts. */
  symmetryFor: SymmetryProbeFor;
  /** A fresh AdamW for a stage's parameters (a growth starts from zero moments). */
  newOptimizer: (specs: ParamSpec[]) => AdamW;
  peakSource: string | null;
  log: Logger;
  hooks: Hooks;
  /** Between backward and clipping (train-step.ts); the identity in one process. */
  reduceGradients?: ReduceGradients;
  /** The run's process group when it is one rank of several (null: one process). */
  dist?: DataParallel | null;
  /** Files that travel with the weights into every checkpoint (an imported model's tokenizer files). */
  carried?: Record<string, Uint8Array>;
}

export class TrainingRun implements Stateful<TrainerState> {
  bestValLoss: number | null = null;
  lastEval: EvalEvent | null = null;
  hit: TargetHit | null = null;
  lastSaved: { step: number; path: string } | null = null;
  /** The growth stage whose model is training now (index into config.stages). */
  stage: number;
  /** Where each growth stage after the first began (trainer state), for its cost in the summary. */
  stageMarks: StageMark[] = [];
  private lastBest: { step: number; path: string } | null = null;
  private sinceLog = { steps: 0, tokens: 0, trainSeconds: 0 };
  private lastLr = 0;
  private names: string[];
  private readonly shape: StepShape;
  private readonly readback: StepReadback;
  /** The step as one recorded program, replayed natively (engines that record steps), else null: eager. */
  private readonly replay: StepReplay | null;

  constructor(readonly p: RunParts) {
    this.stage = p.stage;
    this.names = p.specs.map((s) => s.name);
    const { batchSize, seqLen, gradClip } = p.config;
    const reduceGradients = p.dist?.reduceGradients ?? p.reduceGradients;
    // batchSize is the global micro-batch: each of W ranks computes its batchSize / W rows
    this.shape = { batchSize: batchSize / this.worldSize, seqLen, gradClip, ...(reduceGradients ? { reduceGradients } : {}) };
    this.readback = new StepReadback(p.b);
    this.replay = StepReplay.for(p.b, p.config.stepReplay, Boolean(p.dist), p.log);
  }

  get step(): number {
    return this.p.accounting.step;
  }

  get worldSize(): number {
    return this.p.dist?.worldSize ?? 1;
  }

  /** Rank 0 of a group, or the only process: the one that writes the run directory. */
  get main(): boolean {
    return this.p.dist?.main ?? true;
  }

  /** Parameters (spec order), then the optimizer's moments: what rank 0 broadcasts at the start. */
  stateTensors(): Tensor[] {
    return [...this.names.map((n) => this.p.params[n]!), ...this.p.optimizer.moments()];
  }

  /** Checked before each step: true when the run stops here (a group agrees on the step, see StopAgreement). */
  stopsBeforeNextStep(stopRequested: boolean): boolean {
    return this.p.dist ? this.p.dist.stop.stopsBefore(this.step + 1, stopRequested) : stopRequested;
  }

  /** The model config of the current stage (config.model until the first growth). */
  get model(): ModelConfig {
    return this.p.config.stages[this.stage]!.model;
  }

  /**
   * Grows the model when the next step belongs to a later stage (growAt): the weights through
   * init's growWeights (checked against the planned config), fresh AdamW moments (the optimizer's
   * step count, and so its bias correction, restarts too), the stage's symmetry probe and FLOPs per
   * token from here. Returns whether it grew. Deterministic, so a resumed run grows identically.
   */
  growIfDue(): boolean {
    const next = stageIndexAt(this.p.config.stages, this.step + 1);
    if (next === this.stage) return false;
    this.settle();
    this.replay?.dispose(); // its program reads the parameters and moments about to be replaced
    const { b } = this.p;
    const stage = this.p.config.stages[next]!;
    const grown = growWeights(this.model, downloadParams(b, this.model, this.p.params), stage.growth!);
    if (JSON.stringify(grown.config) !== JSON.stringify(stage.model))
      throw new Error(`growth after step ${this.step} made a model other than the planned one (a trainer bug: please report it)`);
    disposeParams(b, this.p.params);
    this.p.optimizer.dispose();
    this.p.specs = paramSpec(stage.model);
    this.names = this.p.specs.map((s) => s.name);
    this.p.params = uploadParams(b, stage.model, grown.weights);
    this.p.optimizer = this.p.newOptimizer(this.p.specs);
    this.p.symmetry = this.p.symmetryFor(stage);
    const a = this.p.accounting;
    this.stageMarks.push({
      stage: next,
      step: a.step,
      tokens: a.tokens,
      flops: a.flops(),
      trainSeconds: a.trainSeconds,
      wallSeconds: a.wallSeconds(),
    });
    a.startStage(stage.flopsPerToken);
    this.stage = next;
    this.p.log.info(
      {
        event: 'grow',
        stage: next,
        afterStep: a.step,
        params: stage.params,
        flopsPerToken: stage.flopsPerToken,
        dModel: stage.model.dModel,
        nLayer: stage.model.nLayer,
      },
      `grew the model after step ${a.step}: dModel ${stage.model.dModel}, nLayer ${stage.model.nLayer}, ${stage.params} parameters`,
    );
    return true;
  }

  /**
   * One optimizer step over gradAccum micro-batches; returns its number. Nothing is read back to the host
   * on engines with core's MultiTensorOps: the loss and norm are read when the step is logged or saved
   * (settle), and a non-finite step's update (and every later one) is skipped on the device. Elsewhere the
   * step is checked at once. Either way it throws, with weights and moments untouched since the last
   * finite step, on a non-finite loss or gradient.
   */
  trainStep(): number {
    const { b, config: c, params, accounting } = this.p;
    const step = accounting.step + 1;
    const lr = learningRate(step, this.p.schedule);
    const startMs = performance.now();
    const batches = Array.from({ length: c.gradAccum }, () => this.p.data.nextBatch());
    // each rank's rows get their own dropout masks (one process: micro itself)
    const seeds = batches.map((_, micro) => dropoutSeed(c.seed, step, micro * this.worldSize + (this.p.dist?.rank ?? 0)));
    if (this.replay) {
      this.replayedStep(this.replay, step, lr, batches, seeds);
    } else {
      const { grads, stats } = computeGradients(b, this.model, params, this.names, batches, seeds, this.shape);
      const divergence = this.readback.record(step, stats);
      if (divergence) {
        b.dispose(grads);
        throw new Error(this.divergedMessage(divergence));
      }
      this.p.optimizer.step(params, grads, lr, this.readback.skipIf);
      b.dispose(grads);
    }
    const stepSeconds = (performance.now() - startMs) / 1000;
    accounting.addStep(c.tokensPerStep, stepSeconds);
    this.sinceLog.steps++;
    this.sinceLog.tokens += c.tokensPerStep;
    this.sinceLog.trainSeconds += stepSeconds;
    this.lastLr = lr;
    return step;
  }

  /**
   * The step's device work as one program (step-replay.ts): gradients, clip, the guard and AdamW, recorded at
   * the first step and replayed after it; AdamW's step count and the readback's bookkeeping stay here.
   */
  private replayedStep(replay: StepReplay, step: number, lr: number, batches: MicroBatch[], seeds: number[]): void {
    const { b, params, optimizer } = this.p;
    const hyper = { lr, step: optimizer.stepCount + 1 };
    const outputs = replay.run(batches, this.shape.batchSize, this.shape.seqLen, hyper, (inputs) => {
      const onDevice = batches.map((_, i) => ({ inputs: inputs[2 * i]!, targets: inputs[2 * i + 1]! }));
      const { grads, stats } = computeGradients(b, this.model, params, this.names, onDevice, seeds, this.shape);
      this.readback.flag(stats);
      optimizer.update(params, grads, hyper, this.readback.skipIf);
      b.dispose(grads);
      return [...stats.losses, stats.sumSq];
    });
    optimizer.stepCount = hyper.step;
    this.readback.track(step, { losses: outputs.slice(0, -1), sumSq: outputs.at(-1)!, micro: batches.length });
  }

  /** Reads back the steps not yet looked at (the wait counts as training time); throws if one diverged. */
  private settle(): StepValues | null {
    const startMs = performance.now();
    const settled = this.readback.settle();
    const waitSeconds = (performance.now() - startMs) / 1000;
    this.p.accounting.addWait(waitSeconds);
    this.sinceLog.trainSeconds += waitSeconds;
    if (!settled.ok) throw new Error(this.divergedMessage(settled.divergence));
    return settled.values;
  }

  /** The metrics.jsonl row of the latest step: throughput and step time are means since the last row. */
  stepRow(): StepEvent {
    const values = this.settle();
    if (!values) throw new Error('stepRow: no step has been trained in this invocation yet');
    const { config: c, accounting } = this.p;
    const tokensPerSec = this.sinceLog.tokens / Math.max(this.sinceLog.trainSeconds, 1e-9);
    const row: StepEvent = {
      step: this.step,
      totalSteps: c.steps,
      tokens: accounting.tokens,
      loss: values.loss,
      lr: this.lastLr,
      gradNorm: values.gradNorm,
      tokensPerSec,
      mfu: accounting.mfu(tokensPerSec),
      deviceHours: accounting.deviceHours(),
      stepSeconds: this.sinceLog.trainSeconds / Math.max(this.sinceLog.steps, 1),
    };
    if (c.stages.length > 1) row.stage = this.stage;
    return row;
  }

  private divergedMessage({ step, values, noticedAtStep }: Divergence): string {
    const what = Number.isFinite(values.loss) ? `gradient norm ${values.gradNorm}` : `loss ${values.loss}`;
    const later =
      noticedAtStep > step
        ? ` or the ${noticedAtStep - step} after it (read back at step ${noticedAtStep}; the device skipped those updates)`
        : '';
    return `training diverged at step ${step}: ${what}; stopped without applying the update${later}, and ${this.lastGoodText('no checkpoint was saved before it')}. Lower the learning rate or warm up longer, and start again (from that checkpoint with --init)`;
  }

  /** The newest checkpoint on disk that this run wrote or resumed from (a step checkpoint or best). */
  private lastGoodText(none: string): string {
    const good = this.lastBest && (!this.lastSaved || this.lastBest.step > this.lastSaved.step) ? this.lastBest : this.lastSaved;
    return good ? `the last good checkpoint is ${good.path} (step ${good.step})` : none;
  }

  /** Runs a write of the run directory; a full disk's error also names the last good checkpoint. */
  private async writing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      throw new OutputError(
        `${(e as Error).message}; ${this.lastGoodText('no checkpoint was saved yet')}`,
        'ENOSPC',
        (e as OutputError).path,
      );
    }
  }

  /** Appends the latest step's row to metrics.jsonl (symmetry: on evaluation steps of a clone) and returns it. */
  async logStep(symmetry?: number): Promise<StepEvent> {
    const row = this.stepRow();
    if (symmetry !== undefined) row.symmetry = symmetry;
    this.sinceLog = { steps: 0, tokens: 0, trainSeconds: 0 };
    if (!this.main) return row;
    await this.writing(() => this.p.files.appendMetrics(row));
    this.p.log.debug({ ...row, event: 'step' }, 'step');
    this.p.hooks.onStep?.(row);
    return row;
  }

  /**
   * Validation windows, downstream tasks and (for clones) symmetry; records the target's first hit. In a
   * group each rank scores its share of the windows and the counts are summed; rank 0 scores the tasks and
   * symmetry and hands every rank the same row, so every rank decides the same about targets and stops.
   */
  async evaluate(): Promise<EvalEvent> {
    this.settle();
    const { accounting } = this.p;
    const val = this.validate();
    const { tasks, symmetry } = this.p.dist ? this.p.dist.share(() => this.tasksAndSymmetry()) : this.tasksAndSymmetry();
    const row: EvalEvent = {
      step: accounting.step,
      tokens: accounting.tokens,
      flops: accounting.flops(),
      deviceHours: accounting.deviceHours(),
      val,
      tasks,
      symmetry,
      reachedTarget: false,
    };
    if (this.p.config.stages.length > 1) row.stage = this.stage;
    this.recordTarget(row);
    this.lastEval = row;
    if (!this.main) return row;
    await this.writing(() => this.p.files.appendEval(row));
    this.p.log.info(
      { event: 'eval', step: row.step, valLoss: val.loss, valPpl: val.ppl, valAcc: val.acc, tasks, symmetryMean: symmetry?.mean ?? null },
      'evaluation',
    );
    this.p.hooks.onEval?.(row);
    return row;
  }

  private validate(): ValMetrics {
    const { b, config: c, params, dist } = this.p;
    if (!dist) return evaluateWindows(b, this.model, params, this.p.data.evalSet, c.evalBatchSize);
    const mine = dist.slice(this.p.data.evalSet);
    const part = mine.length > 0 ? evaluateWindows(b, this.model, params, mine, c.evalBatchSize) : { loss: 0, acc: 0, tokens: 0 };
    const [lossSum, correct, tokens] = dist.sum([part.loss * part.tokens, Math.round(part.acc * part.tokens), part.tokens]);
    const loss = lossSum! / tokens!;
    return { loss, ppl: Math.exp(loss), acc: correct! / tokens!, tokens: tokens! };
  }

  private tasksAndSymmetry(): Pick<EvalEvent, 'tasks' | 'symmetry'> {
    const { b, config: c, params } = this.p;
    const tasks: Record<string, TaskScore> = {};
    for (const task of this.p.tasks) {
      tasks[task.name] = scoreTask(b, this.model, params, this.p.tokenizer!, task.items, c.taskLimit ? { limit: c.taskLimit } : {});
    }
    const symmetry = this.p.symmetry ? this.p.symmetry(downloadParams(b, this.model, params)) : null;
    return { tasks, symmetry };
  }

  private recordTarget(row: EvalEvent): void {
    const target = this.p.config.target;
    if (!target || this.hit) return;
    const value = metricValue(target.metric, row.val, row.tasks);
    if (value === null || !reaches(target, value)) return;
    this.hit = { step: row.step, tokens: row.tokens, flops: row.flops, deviceHours: row.deviceHours, value };
    row.reachedTarget = true;
    this.p.log.info({ event: 'target', ...this.hit, metric: target.metric, target: target.value }, 'reached the target');
  }

  /** True when the last evaluation set a new best validation loss (and updates the record). */
  takeBest(): boolean {
    const loss = this.lastEval?.val.loss;
    if (loss === undefined || (this.bestValLoss !== null && loss >= this.bestValLoss)) return false;
    this.bestValLoss = loss;
    return true;
  }

  /** Saves weights, moments and trainer state as checkpoints/step-N (once per step). */
  async checkpoint(reason: CheckpointEvent['reason']): Promise<string> {
    this.settle(); // never save the weights of an unchecked step
    const step = this.step;
    if (this.lastSaved?.step === step) return this.lastSaved.path;
    if (!this.main) {
      this.lastSaved = { step, path: this.p.store.pathOf(step) }; // rank 0 writes it
      return this.lastSaved.path;
    }
    const path = await this.writing(() => this.p.store.save(step, this.snapshot()));
    this.lastSaved = { step, path };
    this.emitCheckpoint({ step, dir: path, reason });
    return path;
  }

  /** Saves checkpoints/best (a full, resumable checkpoint of the lowest validation loss so far). */
  async saveBest(): Promise<void> {
    this.settle();
    if (!this.main) return;
    const path = await this.writing(() => this.p.store.saveBest(this.step, this.snapshot()));
    this.lastBest = { step: this.step, path };
    this.emitCheckpoint({ step: this.step, dir: path, reason: 'best' });
  }

  private snapshot(): Checkpoint {
    const { b, config: c, params } = this.p;
    const stage = c.stages[this.stage]!;
    // a grown stage's checkpoint is that growth's clone, so fromCheckpoint and symmetryReport read it as one
    const origin = stage.clone
      ? { kind: 'hyperclone', clone: stage.clone, source: c.init.origin, grownAfterStep: stage.fromStep }
      : c.init.origin;
    return {
      config: this.model,
      weights: downloadParams(b, this.model, params),
      origin: { ...origin, trainedBy: 'hyperclone trainer', run: c.out, step: this.step },
      optimizer: this.p.optimizer.stateDict(),
      trainerState: this.stateDict() as unknown as Record<string, unknown>,
      ...(this.p.carried && Object.keys(this.p.carried).length > 0 ? { files: this.p.carried } : {}),
      tokenizer: tokenizerOf(c.dataset),
    };
  }

  private emitCheckpoint(e: CheckpointEvent): void {
    this.p.log.info({ event: 'checkpoint', ...e }, 'checkpoint saved');
    this.p.hooks.onCheckpoint?.(e);
  }

  /** trainer-state.json: step, accounting, sampler cursor, schedule position, best loss and target record. */
  stateDict(): TrainerState {
    const { accounting: a, config: c } = this.p;
    return {
      format: TRAINER_STATE_FORMAT,
      version: TRAINER_STATE_VERSION,
      step: a.step,
      tokens: a.tokens,
      accounting: a.stateDict(),
      deviceSeconds: a.deviceHours() * 3600,
      sampler: this.p.data.sampler.stateDict(),
      rng: { seed: c.seed, dropout: 'hash(seed, step, micro)' },
      schedule: { ...this.p.schedule, nextStep: a.step + 1 },
      bestValLoss: this.bestValLoss,
      lastEval: this.lastEval,
      targetHit: this.hit,
      data: { dir: this.p.store.recordPath(c.data), tokenizer: c.dataset.tokenizer },
      ...(this.stageMarks.length ? { stages: this.stageMarks } : {}),
    };
  }

  loadStateDict(state: TrainerState, source = 'the saved state'): void {
    this.p.accounting.loadStateDict(state.accounting);
    this.p.data.sampler.loadStateDict(state.sampler, source);
    this.bestValLoss = state.bestValLoss;
    this.lastEval = state.lastEval;
    this.hit = state.targetHit;
    this.stageMarks = state.stages ?? [];
  }

  summary(stopReason: StopReason): Summary {
    return buildSummary({
      config: this.p.config,
      accounting: this.p.accounting,
      lastEval: this.lastEval,
      bestValLoss: this.bestValLoss,
      hit: this.hit,
      stopReason,
      peakSource: this.p.peakSource,
      checkpoint: this.lastSaved ? recordPath(this.p.config.out, this.lastSaved.path) : null,
      stage: this.stage,
      stageMarks: this.stageMarks,
    });
  }

  /** summary.json, written at the end of every invocation. */
  async writeSummary(summary: Summary): Promise<void> {
    await this.writing(() => this.p.files.writeSummary(summary));
  }

  dispose(): void {
    this.replay?.dispose();
    this.readback.dispose();
    disposeParams(this.p.b, this.p.params);
    this.p.optimizer.dispose();
    this.p.data.close();
  }
}
