// The model and its optimizer as one Stateful part: the current stage's weights on the backend, AdamW's
// moments (under ZeRO only this rank's shard of them), the training step over them (gradients, the readback
// of loss and norm, the update; replayed natively as one recorded program where the engine records steps,
// step-replay.ts), a growth to the next stage (init's applyGrowth; AdamW's moments fresh or carried by init's
// growMoments; muP's per-width rates), and the clone symmetry of the weights now. Its state is the weights and
// moments (model.safetensors, optimizer.safetensors). Not the loop's order of events (run/training-run.ts) and
// not the arithmetic of a step (train-step.ts) or of AdamW (adamw.ts).

import type { Backend, CloneInfo, Logger, ModelConfig, ParamSpec, StateDict, Stateful, Tensor } from '@hyperclone/core';
import { axisSizes, disposeParams, downloadParams, hostTensor, paramSpec, silentLogger, uploadParams } from '@hyperclone/core';
import { applyGrowth, growMoments, symmetryReport } from '@hyperclone/init';
import type { SymmetryScore } from '../metrics/events.js';
import { ONE_PROCESS, type Ranks } from '../distributed/ranks.js';
import { AdamW, type AdamWOptions, type Optimizer } from './adamw.js';
import { ShardedAdamW } from './sharded-adamw.js';
import type { RunStage } from './grow-stages.js';
import { DivergenceError, StepReadback } from './step-readback.js';
import { StepReplay, type StepReplayMode } from './step-replay.js';
import { computeGradients, type MicroBatch, type StepShape, type StepValues } from './train-step.js';

/** What a checkpoint keeps of the part. Loading a state without weights keeps the ones the part was made with. */
export interface ModelState {
  weights?: StateDict;
  optimizer: StateDict;
}

export interface ModelPartOptions {
  /** ZeRO over the group of `ranks` (default 0: AdamW whole on every rank; in one process 0 in effect). */
  zeroStage?: 0 | 1 | 2;
  /** The ranks ZeRO shards over (default: one process); the shape's reduceGradients is the data-parallel seam. */
  ranks?: Ranks;
  stages: readonly RunStage[];
  /** The stage whose model `weights` are (a resumed run: its checkpoint's). */
  stage: number;
  weights: StateDict;
  adamw: AdamWOptions;
  shape: StepShape;
  /** The initial model's clone record (the first stage's symmetry), or null. */
  initClone: CloneInfo | null;
  /** --step-replay (default 'on', the option's default; a data-parallel rank's step always runs eagerly). */
  stepReplay?: StepReplayMode;
  /** Where the replay's debug lines go (default: nowhere). */
  log?: Logger;
}

export class ModelPart implements Stateful<ModelState> {
  /** The growth stage whose model is training now (index into the stages). */
  stage: number;
  private specs: ParamSpec[];
  private names: string[];
  private params: Record<string, Tensor>;
  private optimizer: Optimizer;
  private readonly readback: StepReadback;
  /** The step as one recorded program, replayed natively (engines that record steps), else null: eager. */
  private readonly replay: StepReplay | null;
  private readonly shape: StepShape;

  constructor(
    private readonly b: Backend,
    private readonly o: ModelPartOptions,
  ) {
    this.stage = o.stage;
    this.specs = paramSpec(this.model);
    this.names = this.specs.map((s) => s.name);
    this.params = uploadParams(b, this.model, o.weights);
    this.optimizer = this.newOptimizer(this.stage);
    this.readback = new StepReadback(b);
    // ZeRO-2 reduce-scatters each micro-batch's gradients in the layout of the optimizer in use (a growth makes a new one)
    const ranks = o.ranks ?? ONE_PROCESS;
    const scatter = o.zeroStage === 2 ? ranks.reduceScatterMicroBatch(() => (this.optimizer as ShardedAdamW).layout) : null;
    this.shape =
      scatter && ranks.reduceShardedGradients
        ? { ...o.shape, reduceGradients: ranks.reduceShardedGradients, reduceMicroBatch: scatter }
        : o.shape;
    // one process's step on an engine that records steps (a rank's collectives cannot be recorded)
    this.replay = StepReplay.for(b, o.stepReplay ?? 'on', Boolean(this.shape.reduceGradients), o.log ?? silentLogger);
  }

  /** AdamW for stage k (with muP's per-width rates when it asks), or under ZeRO in a group the moments of this rank's shard only. */
  private newOptimizer(k: number): Optimizer {
    const group = this.o.ranks?.group ?? null;
    const zero = this.o.zeroStage ?? 0;
    const rates = stageRates(this.o.stages, k);
    if (zero > 0 && group) {
      if (rates.size > 0)
        throw new Error(`--grow-at's mup is not supported with --zero ${zero} (ZeRO's sharded AdamW has one rate); drop one of them`);
      return new ShardedAdamW(this.b, this.specs, this.o.adamw, group, zero as 1 | 2);
    }
    return new AdamW(this.b, this.specs, this.o.adamw, rates);
  }

  /** The current stage's model config. */
  get model(): ModelConfig {
    return this.o.stages[this.stage]!.model;
  }

  /**
   * One optimizer step over `batches` at rate `lr`. Nothing is read back to the host on engines with core's
   * MultiTensorOps (a non-finite step's update, and every later one, is skipped on the device and found by
   * settle); elsewhere the step is checked at once. Throws DivergenceError with weights and moments untouched
   * since the last finite step.
   */
  trainStep(step: number, batches: readonly MicroBatch[], seeds: readonly number[], lr: number): void {
    const { b } = this;
    // a recorded program replays every AdamW call at the schedule's rate: muP's per-width rates step eagerly
    if (this.replay && this.optimizer instanceof AdamW && this.optimizer.oneRate) {
      this.replayedStep(this.replay, step, batches, seeds, lr);
      return;
    }
    const { grads, stats } = computeGradients(b, this.model, this.params, this.names, batches, seeds, this.shape);
    const divergence = this.readback.record(step, stats);
    if (divergence) {
      b.dispose(grads);
      throw new DivergenceError(divergence);
    }
    this.optimizer.step(this.params, grads, lr, this.readback.skipIf);
    b.dispose(grads);
  }

  /**
   * The step's device work as one program (step-replay.ts): gradients, clip, the guard and AdamW, recorded at
   * the first step of a shape and replayed after it; AdamW's step count and the readback's bookkeeping stay here.
   */
  private replayedStep(replay: StepReplay, step: number, batches: readonly MicroBatch[], seeds: readonly number[], lr: number): void {
    const { b, optimizer } = this;
    if (!(optimizer instanceof AdamW))
      throw new Error('a replayed step needs the whole AdamW (a ZeRO shard steps eagerly): a trainer bug, please report it');
    const hyper = { lr, step: optimizer.stepCount + 1 };
    const outputs = replay.run(batches, this.shape.batchSize, this.shape.seqLen, hyper, (inputs) => {
      const onDevice = batches.map((_, i) => ({ inputs: inputs[2 * i]!, targets: inputs[2 * i + 1]! }));
      const { grads, stats } = computeGradients(b, this.model, this.params, this.names, onDevice, seeds, this.shape);
      this.readback.flag(stats);
      optimizer.update(this.params, grads, hyper, this.readback.skipIf);
      b.dispose(grads);
      return [...stats.losses, stats.sumSq];
    });
    optimizer.stepCount = hyper.step;
    this.readback.track(step, { losses: outputs.slice(0, -1), sumSq: outputs.at(-1)!, micro: batches.length });
  }

  /** Reads back the steps not yet looked at (waiting for the device); the latest step's values. Throws DivergenceError. */
  settle(): StepValues | null {
    const settled = this.readback.settle();
    if (!settled.ok) throw new DivergenceError(settled.divergence);
    return settled.values;
  }

  /**
   * Grows the model to stage `next` (init's applyGrowth, checked against the planned config). AdamW's moments
   * start fresh (the step count, and so its bias correction, restarts too), or with the stage's `moments:
   * 'carry'` are grown by init's growMoments and keep the step count. Deterministic, so a resumed run grows
   * identically. Settle first: the weights must be those of finite steps.
   */
  growTo(next: number, afterStep: number): void {
    const { b } = this;
    const stage = this.o.stages[next]!;
    const grown = applyGrowth(this.model, this.weights(), stage.growth!);
    if (JSON.stringify(grown.config) !== JSON.stringify(stage.model))
      throw new Error(`growth after step ${afterStep} made a model other than the planned one (a trainer bug: please report it)`);
    const carried = stage.moments === 'carry' ? this.grownMoments(stage.growth!) : null;
    this.replay?.dispose(); // its program reads the parameters and moments about to be replaced
    disposeParams(b, this.params);
    this.optimizer.dispose();
    this.stage = next;
    this.specs = paramSpec(stage.model);
    this.names = this.specs.map((s) => s.name);
    this.params = uploadParams(b, stage.model, grown.weights);
    this.optimizer = this.newOptimizer(next);
    if (carried) this.optimizer.loadStateDict(carried, `the moments carried through the growth after step ${afterStep}`);
  }

  /** The optimizer's state grown as the model is about to be (the step count kept). */
  private grownMoments(growth: NonNullable<RunStage['growth']>): StateDict {
    const state = this.optimizer.stateDict();
    const part = (key: 'm' | 'v'): StateDict => new Map(this.names.map((n) => [n, state.get(`${key}.${n}`)!]));
    const grown = growMoments(this.model, { m: part('m'), v: part('v') }, growth);
    const out: StateDict = new Map();
    for (const key of ['m', 'v'] as const) for (const [n, t] of grown[key]) out.set(`${key}.${n}`, t);
    out.set('step', hostTensor([1], Float32Array.of(this.optimizer.stepCount)));
    return out;
  }

  /** The paper's symmetry of the current weights against the stage's clone record; null when the stage is no clone. */
  symmetry(): SymmetryScore | null {
    const st = this.o.stages[this.stage]!;
    const clone = st.fromStep === 0 ? this.o.initClone : st.clone;
    if (!clone) return null;
    const report = symmetryReport(this.weights(), st.model, clone);
    return { mean: report.overall, layers: report.layers };
  }

  /** The weights on the host (spec order). */
  weights(): StateDict {
    return downloadParams(this.b, this.model, this.params);
  }

  /** The parameters on the backend, by name (what evaluation reads). */
  get live(): Record<string, Tensor> {
    return this.params;
  }

  /** Parameters (spec order), then the moments: what rank 0 broadcasts at the start. */
  tensors(): Tensor[] {
    return [...this.names.map((n) => this.params[n]!), ...this.optimizer.moments()];
  }

  /** On rank 0 alone when nothing is sharded; under ZeRO every rank calls it (see gatheredState). */
  stateDict(): Required<ModelState> {
    return { weights: this.weights(), optimizer: this.optimizer.stateDict() };
  }

  /**
   * Under ZeRO the state is a collective: every rank gathers the moments' shards, so every rank calls this before
   * a checkpoint and rank 0 writes what it returns. Null when the optimizer is whole (rank 0 reads it alone).
   */
  gatheredState(): Required<ModelState> | null {
    return this.optimizer.sharded ? this.stateDict() : null;
  }

  loadStateDict(state: ModelState, source = 'the saved state'): void {
    this.replay?.dispose(); // a recorded program would read the weights and moments being replaced
    if (state.weights) {
      const next = uploadParams(this.b, this.model, state.weights);
      disposeParams(this.b, this.params);
      this.params = next;
    }
    this.optimizer.loadStateDict(state.optimizer, source);
  }

  dispose(): void {
    this.replay?.dispose();
    this.readback.dispose();
    disposeParams(this.b, this.params);
    this.optimizer.dispose();
  }
}

/**
 * muP's per-width rates of stage `k` when it asks for them: every linear weight's rate times its input
 * size in the first stage over its input size now (the weight that reads twice the width takes half the
 * step, as a clone's copies would need to move the function as the source did); every other parameter 1.
 */
export function stageRates(stages: readonly RunStage[], k: number): Map<string, number> {
  const stage = stages[k]!;
  if (!stage.mup) return new Map();
  const base = axisSizes(stages[0]!.model);
  const now = axisSizes(stage.model);
  return new Map(
    paramSpec(stage.model)
      .filter((s) => s.kind === 'linear')
      .map((s) => [s.name, base[s.axes[1]!] / now[s.axes[1]!]]),
  );
}
