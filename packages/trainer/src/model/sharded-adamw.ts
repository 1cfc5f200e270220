// AdamW sharded over a data-parallel group (ZeRO-1 and -2): each rank keeps AdamW's moments for its shard of
// the parameters only (core's shard layout), updates that shard in place, then the ranks all-gather the
// parameters. Saved and loaded as one logical state, the same as AdamW's, so any number of ranks reads it.
// Not the gradient reduction (data-parallel.ts) and not the unsharded optimizer (adamw.ts).

import type { AdamWHyper, Backend, ParamSpec, ProcessGroup, ShardLayout, StateDict, Tensor } from '@hyperclone/core';
import { hostTensor, multiTensorOps, shardLayout, type MultiTensorOps } from '@hyperclone/core';
import { savedSteps, type AdamWOptions, type Optimizer } from './adamw.js';

/** One run of a parameter's elements that this rank owns, with its moments. */
interface Owned {
  spec: ParamSpec;
  /** Index of the parameter in spec order. */
  index: number;
  start: number;
  length: number;
  shardOffset: number;
  m: Tensor;
  v: Tensor;
}

export class ShardedAdamW implements Optimizer {
  stepCount = 0;
  readonly sharded = true;
  readonly layout: ShardLayout;
  private owned: Owned[] = [];
  private readonly ops: MultiTensorOps;

  /**
   * stage 1: step() takes the whole averaged gradient of every parameter; stage 2: the rank's gradient shard
   * (one flat tensor in the layout, as the group's reduceScatter makes it).
   */
  constructor(
    private readonly b: Backend,
    private readonly specs: readonly ParamSpec[],
    private readonly options: AdamWOptions,
    private readonly group: ProcessGroup,
    readonly stage: 1 | 2,
  ) {
    const ops = multiTensorOps(b);
    if (!ops) throw new Error(`ZeRO needs an engine with multi-tensor ops (the torch backend); ${b.engine} has none`);
    this.ops = ops;
    const numels = specs.map((s) => s.shape.reduce((a, d) => a * d, 1));
    this.layout = shardLayout(numels, group.worldSize, group.rank);
    this.owned = this.layout.segments.map((seg) => ({
      spec: specs[seg.tensor]!,
      index: seg.tensor,
      start: seg.start,
      length: seg.length,
      shardOffset: seg.shardOffset,
      m: b.keep(b.fromHost(hostTensor([seg.length], new Float32Array(seg.length)))),
      v: b.keep(b.fromHost(hostTensor([seg.length], new Float32Array(seg.length)))),
    }));
  }

  /**
   * Updates this rank's shard of every parameter in place, then all-gathers the parameters. grads: stage 1 the
   * averaged gradients in spec order; stage 2 one flat tensor, this rank's shard of them. With skipIf nonzero the
   * update is skipped (the gather then restores every rank's unchanged shard).
   */
  step(params: Record<string, Tensor>, grads: readonly Tensor[], lr: number, skipIf: Tensor | null = null): void {
    const b = this.b;
    this.stepCount++;
    const tensors = this.specs.map((s) => params[s.name]!);
    b.tidy(() => {
      const flat = tensors.map((t) => b.reshape(t, [-1])); // views
      const gradOf =
        this.stage === 2
          ? (o: Owned) => b.slice(grads[0]!, [o.shardOffset], [o.length])
          : (o: Owned) => b.slice(b.reshape(grads[o.index]!, [-1]), [o.start], [o.length]);
      for (const decay of [true, false]) {
        const group = this.owned.filter((o) => o.spec.decay === decay);
        if (group.length === 0) continue;
        const hp: AdamWHyper = { ...this.options, lr, step: this.stepCount, weightDecay: decay ? this.options.weightDecay : 0 };
        this.ops.adamwAll(
          group.map((o) => b.slice(flat[o.index]!, [o.start], [o.length])), // in place through the views
          group.map(gradOf),
          group.map((o) => o.m),
          group.map((o) => o.v),
          hp,
          skipIf,
        );
      }
      const shard = this.assemble((o) => b.slice(flat[o.index]!, [o.start], [o.length]));
      this.group.allGather(shard, tensors, this.layout);
    });
  }

  /** This rank's flat shard from each owned run's tensor, zeros where the layout pads. */
  private assemble(of: (o: Owned) => Tensor): Tensor {
    const b = this.b;
    const pieces: Tensor[] = [];
    let at = 0;
    const pad = (n: number) => pieces.push(b.fromHost(hostTensor([n], new Float32Array(n))));
    for (const o of this.owned) {
      if (o.shardOffset > at) pad(o.shardOffset - at);
      pieces.push(of(o));
      at = o.shardOffset + o.length;
    }
    if (at < this.layout.shardNumel) pad(this.layout.shardNumel - at);
    return pieces.length === 1 ? pieces[0]! : b.concat(pieces, 0);
  }

  /** No moments to broadcast at the start: each rank holds its own shard, loaded from the same state. */
  moments(): Tensor[] {
    return [];
  }

  /**
   * The whole moments as host tensors named `m.<param>` / `v.<param>`, plus the step: AdamW's format. A
   * collective (every rank calls it; each gathers m, then v, one weight-sized copy at a time).
   */
  stateDict(): StateDict {
    const b = this.b;
    const out: StateDict = new Map();
    for (const which of ['m', 'v'] as const) {
      const full = this.specs.map((s) => b.fromHost(hostTensor(s.shape, new Float32Array(s.shape.reduce((a, d) => a * d, 1)))));
      b.tidy(() =>
        this.group.allGather(
          this.assemble((o) => o[which]),
          full,
          this.layout,
        ),
      );
      this.specs.forEach((s, i) => out.set(`${which}.${s.name}`, b.toHost(full[i]!)));
      b.dispose(full);
    }
    out.set('step', hostTensor([1], Float32Array.of(this.stepCount)));
    return out;
  }

  /** Keeps this rank's runs of moments saved by any number of ranks (AdamW's format); throws naming what is missing. */
  loadStateDict(sd: StateDict, source = 'the saved state'): void {
    const steps = savedSteps(sd, this.specs, source);
    const slice = (key: string, o: Owned) =>
      this.b.keep(this.b.fromHost(hostTensor([o.length], (sd.get(key)!.data as Float32Array).slice(o.start, o.start + o.length))));
    for (const o of this.owned) {
      const [m, v] = [slice(`m.${o.spec.name}`, o), slice(`v.${o.spec.name}`, o)];
      this.b.dispose([o.m, o.v]);
      o.m = m;
      o.v = v;
    }
    this.stepCount = steps;
  }

  dispose(): void {
    for (const o of this.owned) this.b.dispose([o.m, o.v]);
    this.owned = [];
  }
}
