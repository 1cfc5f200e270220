// AdamW over a backend: first and second moments per parameter, decoupled weight decay only on the
// parameters the spec marks for decay (2+ dimensions), an optional rate multiplier per parameter (muP's
// per-width rate after a growth), the update done by the backend's fused adamw. Not the gradient
// computation or clipping (train-step.ts) and not the schedule (schedule.ts).

import type { AdamWHyper, Backend, ParamSpec, StateDict, Stateful, Tensor } from '@hyperclone/core';
import { fusedOps, hostTensor, zeros } from '@hyperclone/core';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** What a run's optimizer offers the step and the checkpoints (AdamW, ShardedAdamW). */
export interface Optimizer extends Stateful<StateDict> {
  /** Updates taken so far. */
  stepCount: number;
  /** True when stateDict is a collective: every rank of the group calls it (it gathers the shards). */
  readonly sharded: boolean;
  step(params: Record<string, Tensor>, grads: readonly Tensor[], lr: number, skipIf?: Tensor | null): void;
  /** The moment tensors every rank takes from rank 0 at the start (none when each rank holds its own shard). */
  moments(): Tensor[];
  dispose(): void;
}

export class AdamW implements Optimizer {
  readonly sharded = false;
  private m = new Map<string, Tensor>();
  private v = new Map<string, Tensor>();
  /** Updates taken so far (bias correction uses step + 1 for the next one). */
  stepCount = 0;
  /** The groups of one decay flag and one rate multiplier (spec indices and names), for the multi-tensor update. */
  private readonly groups: { decay: boolean; rate: number; idx: number[]; names: string[] }[];
  private readonly many: MultiTensorAdamW | null;

  /** `rates`: a multiplier of the rate per parameter name (absent: 1 for every parameter). */
  constructor(
    private readonly b: Backend,
    private readonly specs: readonly ParamSpec[],
    private readonly options: AdamWOptions,
    private readonly rates: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const s of specs) {
      this.m.set(s.name, b.keep(b.fromHost(zeros(s.shape))));
      this.v.set(s.name, b.keep(b.fromHost(zeros(s.shape))));
    }
    const rateOf = (name: string): number => rates.get(name) ?? 1;
    const keys = [...new Set(specs.map((s) => `${s.decay}:${rateOf(s.name)}`))];
    this.groups = keys
      .map((key) => {
        const idx = specs.flatMap((s, i) => (`${s.decay}:${rateOf(s.name)}` === key ? [i] : []));
        return { decay: specs[idx[0]!]!.decay, rate: rateOf(specs[idx[0]!]!.name), idx, names: idx.map((i) => specs[i]!.name) };
      })
      .sort((x, y) => Number(y.decay) - Number(x.decay) || y.rate - x.rate);
    this.many = multiTensor(b);
  }

  /**
   * One update of every parameter in place of the record's handles. grads follow the spec order. With
   * skipIf (a one-element device tensor; engines with a multi-tensor AdamW only) the engine skips the
   * update when it is nonzero.
   */
  step(params: Record<string, Tensor>, grads: readonly Tensor[], lr: number, skipIf: Tensor | null = null): void {
    const b = this.b;
    const adamw = fusedOps(b).adamw;
    this.stepCount++;
    if (this.many) {
      this.update(params, grads, { lr, step: this.stepCount }, skipIf);
      return;
    }
    if (skipIf) throw new Error(`AdamW: skipIf needs an engine with a multi-tensor AdamW (adamwAll); ${b.engine} has none`);
    this.specs.forEach((s, i) => {
      const p = params[s.name]!;
      const m = this.m.get(s.name)!;
      const v = this.v.get(s.name)!;
      const rate = lr * (this.rates.get(s.name) ?? 1);
      const hp = { ...this.options, lr: rate, step: this.stepCount, weightDecay: s.decay ? this.options.weightDecay : 0 };
      const [p2, m2, v2] = b.tidy(() => adamw(p, grads[i]!, m, v, hp));
      replace(b, p, p2, (t) => (params[s.name] = t));
      replace(b, m, m2, (t) => this.m.set(s.name, t));
      replace(b, v, v2, (t) => this.v.set(s.name, t));
    });
  }

  /** Whether update() works here: the engine updates every parameter in place with one call per group. */
  get inPlace(): boolean {
    return this.many !== null;
  }

  /** Whether every parameter steps at the schedule's rate (no muP multiplier): what a replayed step program assumes. */
  get oneRate(): boolean {
    return this.groups.every((g) => g.rate === 1);
  }

  /**
   * The device part of step() on engines with an in-place multi-tensor AdamW (torch's adamwAll): one call per
   * group at this rate (times the group's multiplier) and step count, stepCount untouched (a replayed step
   * program repeats these calls with each step's rate and count; the caller counts the step).
   */
  update(params: Record<string, Tensor>, grads: readonly Tensor[], at: { lr: number; step: number }, skipIf: Tensor | null): void {
    const many = this.many;
    if (!many) throw new Error(`AdamW.update needs an engine with a multi-tensor AdamW (adamwAll); ${this.b.engine} has none`);
    for (const { decay, rate, idx, names } of this.groups) {
      const hp: AdamWHyper = { ...this.options, lr: at.lr * rate, step: at.step, weightDecay: decay ? this.options.weightDecay : 0 };
      many(
        names.map((n) => params[n]!),
        idx.map((i) => grads[i]!),
        names.map((n) => this.m.get(n)!),
        names.map((n) => this.v.get(n)!),
        hp,
        skipIf,
      );
    }
  }

  /** The moment tensors on the backend: every m, then every v, in spec order. */
  moments(): Tensor[] {
    return [...this.specs.map((s) => this.m.get(s.name)!), ...this.specs.map((s) => this.v.get(s.name)!)];
  }

  /** Moments as host tensors named `m.<param>` / `v.<param>` (optimizer.safetensors), plus the step. */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const s of this.specs) {
      out.set(`m.${s.name}`, this.b.toHost(this.m.get(s.name)!));
      out.set(`v.${s.name}`, this.b.toHost(this.v.get(s.name)!));
    }
    out.set('step', hostTensor([1], Float32Array.of(this.stepCount)));
    return out;
  }

  /** Restores moments saved by stateDict; throws naming the first missing or mis-shaped entry. */
  loadStateDict(sd: StateDict, source = 'the saved state'): void {
    const steps = savedSteps(sd, this.specs, source);
    this.dispose();
    for (const s of this.specs) {
      this.m.set(s.name, this.b.keep(this.b.fromHost(sd.get(`m.${s.name}`)!)));
      this.v.set(s.name, this.b.keep(this.b.fromHost(sd.get(`v.${s.name}`)!)));
    }
    this.stepCount = steps;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) this.b.dispose(t);
    this.m.clear();
    this.v.clear();
  }
}

/**
 * The updates taken by a saved AdamW state (stateDict's format: `m.<param>`, `v.<param>`, `step`), after checking it
 * holds both moments of every parameter at its shape; throws naming the first entry missing or mis-shaped.
 */
export function savedSteps(sd: StateDict, specs: readonly ParamSpec[], source: string): number {
  for (const s of specs) {
    for (const key of [`m.${s.name}`, `v.${s.name}`]) {
      const t = sd.get(key);
      if (!t) throw new Error(`optimizer state in ${source} has no "${key}": it was saved for a different model`);
      if (t.shape.join(',') !== s.shape.join(','))
        throw new Error(`optimizer state in ${source}: "${key}" is [${t.shape.join(', ')}], the model needs [${s.shape.join(', ')}]`);
    }
  }
  const step = sd.get('step');
  if (!step) throw new Error(`optimizer state in ${source} has no "step"`);
  return step.data[0]!;
}

type MultiTensorAdamW = (params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper, skipIf?: Tensor | null) => void;

/** The engine's in-place AdamW over lists of tensors, when it has one (an optional capability beyond Backend). */
function multiTensor(b: Backend): MultiTensorAdamW | null {
  const fn = (b as Backend & { adamwAll?: MultiTensorAdamW }).adamwAll;
  return typeof fn === 'function' ? fn.bind(b) : null;
}

/** Adopts a new handle from a fused update; the old one is freed unless the backend updated in place. */
function replace(b: Backend, old: Tensor, next: Tensor, set: (t: Tensor) => void): void {
  if (next === old) return;
  b.keep(next);
  b.dispose(old);
  set(next);
}
