// The model and its optimizer as one Stateful part: the current stage's weights on the backend, AdamW's
// moments, the training step over them (gradients, the readback of loss and norm, the update), a growth
// to the next stage (init's applyGrowth; AdamW's moments fresh or carried by init's growMoments; muP's
// per-width rates), and the clone symmetry of the weights now. Its state is the weights and moments
// (model.safetensors, optimizer.safetensors). Not the loop's order of events (run/training-run.ts) and
// not the arithmetic of a step (train-step.ts) or of AdamW (adamw.ts).

import type { Backend, CloneInfo, ModelConfig, ParamSpec, StateDict, Stateful, Tensor } from '@hyperclone/core';
import { axisSizes, disposeParams, downloadParams, hostTensor, paramSpec, uploadParams } from '@hyperclone/core';
import { applyGrowth, growMoments, symmetryReport } from '@hyperclone/init';
import type { SymmetryScore } from '../metrics/events.js';
import { AdamW, type AdamWOptions } from './adamw.js';
import type { RunStage } from './grow-stages.js';
import { DivergenceError, StepReadback } from './step-readback.js';
import { computeGradients, type MicroBatch, type StepShape, type StepValues } from './train-step.js';

/** What a checkpoint keeps of the part. Loading a state without weights keeps the ones the part was made with. */
export interface ModelState {
  weights?: StateDict;
  optimizer: StateDict;
}

export interface ModelPartOptions {
  stages: readonly RunStage[];
  /** The stage whose model `weights` are (a resumed run: its checkpoint's). */
  stage: number;
  weights: StateDict;
  adamw: AdamWOptions;
  shape: StepShape;
  /** The initial model's clone record (the first stage's symmetry), or null. */
  initClone: CloneInfo | null;
}

export class ModelPart implements Stateful<ModelState> {
  /** The growth stage whose model is training now (index into the stages). */
  stage: number;
  private specs: ParamSpec[];
  private names: string[];
  private params: Record<string, Tensor>;
  private optimizer: AdamW;
  private readonly readback: StepReadback;

  constructor(
    private readonly b: Backend,
    private readonly o: ModelPartOptions,
  ) {
    this.stage = o.stage;
    this.specs = paramSpec(this.model);
    this.names = this.specs.map((s) => s.name);
    this.params = uploadParams(b, this.model, o.weights);
    this.optimizer = new AdamW(b, this.specs, o.adamw, stageRates(o.stages, this.stage));
    this.readback = new StepReadback(b);
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
    const { grads, stats } = computeGradients(b, this.model, this.params, this.names, batches, seeds, this.o.shape);
    const divergence = this.readback.record(step, stats);
    if (divergence) {
      b.dispose(grads);
      throw new DivergenceError(divergence);
    }
    this.optimizer.step(this.params, grads, lr, this.readback.skipIf);
    b.dispose(grads);
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
    disposeParams(b, this.params);
    this.optimizer.dispose();
    this.stage = next;
    this.specs = paramSpec(stage.model);
    this.names = this.specs.map((s) => s.name);
    this.params = uploadParams(b, stage.model, grown.weights);
    this.optimizer = new AdamW(b, this.specs, this.o.adamw, stageRates(this.o.stages, next));
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

  stateDict(): Required<ModelState> {
    return { weights: this.weights(), optimizer: this.optimizer.stateDict() };
  }

  loadStateDict(state: ModelState, source = 'the saved state'): void {
    if (state.weights) {
      const next = uploadParams(this.b, this.model, state.weights);
      disposeParams(this.b, this.params);
      this.params = next;
    }
    this.optimizer.loadStateDict(state.optimizer, source);
  }

  dispose(): void {
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
