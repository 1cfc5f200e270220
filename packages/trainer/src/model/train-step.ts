// One optimizer step's gradients: summed over micro-batches, reduced across processes (reduceGradients,
// the identity in one process), then averaged and clipped to a global norm. On an engine with core's
// MultiTensorOps the norm and clip are one call on the device and nothing is read back here; otherwise they
// are composed from required ops with one host read of the norm. The loss and the norm stay on the device
// until readStepValues. Not the update (adamw.ts) and not where batches come from (the loop passes them in).

import type { Backend, ModelConfig, Tensor } from '@hyperclone/core';
import { hashString, hostTensor, lossAndGradients, multiTensorOps } from '@hyperclone/core';

export interface MicroBatch {
  /** (B·T) row-major token ids */
  inputs: Int32Array;
  /** (B·T) next-token targets */
  targets: Int32Array;
}

/** A micro-batch already on the device (a recorded step's input buffers): (B, T) int32 each. */
export interface DeviceBatch {
  inputs: Tensor;
  targets: Tensor;
}

/** One process's backward result, before any reduction across processes. */
export interface LocalGradients {
  /** Gradients summed (not yet averaged) over this process's micro-batches, in parameter order. */
  grads: Tensor[];
  /** Each micro-batch's mean loss (0-dim, on the device). */
  losses: Tensor[];
}

/** What the seam hands the clip: the gradients this process applies, and their Σg² when they are a shard. */
export interface ReducedGradients extends LocalGradients {
  /**
   * Σg² of the whole gradient (0-dim, on the device) when `grads` is only this rank's shard of it (ZeRO-2: summed
   * over the ranks); absent: the clip computes it from `grads`. The seam owns it until the clip takes it.
   */
  sumSq?: Tensor;
}

/**
 * The seam between backward and clipping, where a data-parallel all-reduce goes. It receives this
 * process's LocalGradients and returns the ones every process should clip and apply: the same number of
 * tensors, shapes and order (or, after reduceMicroBatch made shards, this rank's shard and the whole
 * gradient's Σg²), with gradients still summed over micro-batches (an all-reduce that averages over
 * processes keeps that), since the step divides them by the micro-batch count afterwards. It may
 * reduce in place and return the same handles; any handle it replaces, it disposes. One process: the
 * identity (singleProcess).
 */
export type ReduceGradients = (b: Backend, local: LocalGradients) => ReducedGradients;

/**
 * Applied to each micro-batch's gradients as backward returns them, before they are summed (ZeRO-2: the
 * reduce-scatter to this rank's shard, so that only shards are summed and kept). It disposes what it replaces.
 */
export type ReduceMicroBatch = (b: Backend, grads: Tensor[]) => Tensor[];

const singleProcess: ReduceGradients = (_b, local) => local;

/** What a step leaves on the device for the host to read when the step is logged or checked. */
export interface StepStats {
  /** Each micro-batch's mean loss (0-dim). */
  losses: Tensor[];
  /** Σg² of the reduced gradient sums, before averaging and clipping (0-dim float32). */
  sumSq: Tensor;
  /** Micro-batches the sums are over. */
  micro: number;
}

export interface StepValues {
  /** Mean loss over the micro-batches (nats). */
  loss: number;
  /** Global L2 norm of the averaged gradient, before clipping. */
  gradNorm: number;
}

export interface StepGradients {
  /** Averaged and clipped gradients in `names` order; the caller disposes them. */
  grads: Tensor[];
  /** The loss and norm, still on the device; the caller disposes them (disposeStats). */
  stats: StepStats;
}

export interface StepShape {
  batchSize: number;
  seqLen: number;
  /** 0 disables clipping. */
  gradClip: number;
  /** Activation checkpointing: blocks recomputed together in backward (core's checkpointEvery); 0 or absent: none. */
  checkpointEvery?: number;
  /** Default: singleProcess. */
  reduceGradients?: ReduceGradients;
  /** Default: none (the micro-batches' gradients are summed as they are). */
  reduceMicroBatch?: ReduceMicroBatch;
}

/** Dropout seed of one micro-batch: a pure function of (seed, step, micro), so resume repeats it. */
export function dropoutSeed(seed: number, step: number, micro: number): number {
  return hashString(`${seed}:${step}:${micro}`) % 2_097_152; // < 2^21, so the model's per-site seeds stay < 2^31
}

export function computeGradients(
  b: Backend,
  config: ModelConfig,
  params: Record<string, Tensor>,
  names: readonly string[],
  batches: readonly (MicroBatch | DeviceBatch)[],
  seeds: readonly number[],
  shape: StepShape,
): StepGradients {
  if (batches.length === 0) throw new Error('computeGradients needs at least one micro-batch');
  const local = backward(b, config, params, names, batches, seeds, shape);
  const reduced = (shape.reduceGradients ?? singleProcess)(b, local);
  return clipGradients(b, reduced, batches.length, shape.gradClip);
}

/** Gradients summed over the micro-batches and each micro-batch's loss, all left on the device. */
function backward(
  b: Backend,
  config: ModelConfig,
  params: Record<string, Tensor>,
  names: readonly string[],
  batches: readonly (MicroBatch | DeviceBatch)[],
  seeds: readonly number[],
  { batchSize: B, seqLen: T, checkpointEvery = 0, reduceMicroBatch }: StepShape,
): LocalGradients {
  let sum: Tensor[] | null = null;
  const losses: Tensor[] = [];
  batches.forEach((batch, micro) => {
    const previous: Tensor[] | null = sum;
    const result = b.tidy(() => {
      const onDevice = !(batch.inputs instanceof Int32Array);
      const inputs = onDevice ? (batch.inputs as Tensor) : b.fromHost(hostTensor([B, T], batch.inputs as Int32Array)); // (B, T)
      const targets = onDevice ? (batch.targets as Tensor) : b.fromHost(hostTensor([B, T], batch.targets as Int32Array)); // (B, T)
      const own = lossAndGradients(b, config, params, names, inputs, targets, {
        train: true,
        dropoutSeed: seeds[micro]!,
        every: checkpointEvery,
      });
      const grads = reduceMicroBatch ? reduceMicroBatch(b, own.grads) : own.grads;
      return { value: own.value, grads: previous ? grads.map((g, i) => b.add(previous[i]!, g)) : grads };
    });
    if (previous) b.dispose(previous);
    losses.push(result.value);
    sum = result.grads;
  });
  return { grads: sum!, losses };
}

/** Averages the sums and clips them under the global norm: one device call where the engine has it. */
function clipGradients(b: Backend, local: ReducedGradients, micro: number, gradClip: number): StepGradients {
  const ops = multiTensorOps(b);
  if (ops) {
    const sumSq = ops.clipGradNorm(local.grads, gradClip, micro, local.sumSq); // in place; (), never read here
    if (local.sumSq) b.dispose(local.sumSq); // the clip handed it back as sumSq
    return { grads: local.grads, stats: { losses: local.losses, sumSq, micro } };
  }
  if (local.sumSq) throw new Error(`sharded gradients need an engine with multi-tensor ops; ${b.engine} has none`);
  return composedClip(b, local, micro, gradClip);
}

/** The fallback: the same arithmetic from required ops, with the norm read to the host to scale. */
function composedClip(b: Backend, local: LocalGradients, micro: number, gradClip: number): StepGradients {
  const sumSq = b.tidy(() =>
    local.grads
      .map((g) =>
        b.sum(
          b.mul(g, g),
          b.shape(g).map((_, i) => i),
        ),
      )
      .reduce((a, x) => b.add(a, x)),
  ); // ()
  const stats = { losses: local.losses, sumSq, micro };
  const gradNorm = Math.sqrt(b.toHost(sumSq).data[0]!) / micro;
  const clipScale = gradClip > 0 ? Math.min(gradClip / (gradNorm + 1e-6), 1) : 1; // clip_grad_norm_'s coefficient
  const scale = clipScale / micro;
  if (scale === 1) return { grads: local.grads, stats };
  const grads = b.tidy(() => local.grads.map((g) => b.mul(g, b.scalar(scale))));
  b.dispose(local.grads);
  return { grads, stats };
}

/** Reads a step's loss and norm back to the host (on CUDA this waits for the step to finish). */
export function readStepValues(b: Backend, stats: StepStats): StepValues {
  let lossSum = 0;
  for (const loss of stats.losses) lossSum += b.toHost(loss).data[0]!;
  return { loss: lossSum / stats.micro, gradNorm: Math.sqrt(b.toHost(stats.sumSq).data[0]!) / stats.micro };
}

export function disposeStats(b: Backend, stats: StepStats): void {
  b.dispose([...stats.losses, stats.sumSq]);
}
