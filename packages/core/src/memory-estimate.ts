// How much memory a command will need (weights, AdamW, gradients, activations, a clone's source and output),
// estimated from configs before anything is allocated, and the check that refuses what cannot fit.
// Not a measurement: the formulas are checked against measured peaks in test/memory-estimate.test.ts.

import { freemem, totalmem } from 'node:os';
import type { ModelConfig } from './config.js';
import type { InitPlan } from './initializer.js';
import { countParams } from './param-spec.js';

export const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const FLOAT_BYTES = 4;

/**
 * The process itself before any model: Node, the CLI and its libraries (measured ~100 MiB), and with a
 * training backend loaded, libtorch or tfjs and its thread pools (measured 360-440 MiB for `train` of `tiny`).
 */
export const RUNTIME_BYTES = { plain: 128 * MIB, training: 512 * MIB } as const;

/** Bytes of one float32 copy of the model's parameters. */
export function weightBytes(c: ModelConfig): number {
  return countParams(c) * FLOAT_BYTES;
}

/** How a run's training state is laid out, for the estimate (all optional: one process, no sharding, no recompute). */
export interface StateLayout {
  /** ZeRO stage: 0 every rank holds everything; 1 AdamW's moments sharded; 2 also the accumulated gradient sums. */
  zeroStage?: 0 | 1 | 2;
  /** Ranks the sharded state is split over (the data-parallel world size). */
  worldSize?: number;
  /** Activation checkpointing: blocks recomputed together (core's checkpointEvery); 0 or absent: none. */
  checkpointEvery?: number;
  /** bf16 autocast (CUDA): activations kept in bf16, and a bf16 copy of the weights cached during the forward. */
  autocast?: 'bf16' | null;
  /** Micro-batches per step: with more than one, the gradient sums are held while the next backward runs. */
  gradAccum?: number;
  /**
   * How the engine's attention keeps what backward needs: 'materialized' (default) the scores and probabilities
   * over T x T (tfjs, libtorch's CPU node, libtorch 1.x on CUDA); 'fused' a fused kernel's row statistics only
   * (scaled_dot_product_attention on CUDA, libtorch 2.x, without attention dropout).
   */
  attention?: 'materialized' | 'fused';
}

/**
 * Activation memory of one training micro-batch of `rows` sequences of `seqLen` tokens: what the forward keeps
 * for backward plus what backward holds at its peak. Per layer the forward keeps the attention scores and
 * probabilities (2·B·H·T²; a fused attention kernel keeps only B·H·T row statistics), q, k, v and the attention
 * output, six residual-stream and norm tensors (6·B·T·d), the MLP's hidden tensors (2·B·T·dFF, 4 for SwiGLU) and
 * dropout masks when dropout > 0; the head keeps the embedding, the final norm and 3·B·T·V for the logits. At
 * its peak backward adds one layer's working set: the gradient of the attention probabilities (B·H·T², none
 * with a fused kernel) and two stream-sized gradients. With checkpointing every N blocks the forward keeps only
 * the stream entering each segment and the head's input, and backward holds either the head's part or one
 * segment's N layers at a time. Under bf16 autocast the kept tensors are half the size. Measured on libtorch
 * CPU (benchmarks/activation-checkpointing.ts): within 5% for none, blocks and every-2 at cpu-256's shapes.
 */
export function activationBytes(c: ModelConfig, rows: number, seqLen: number, layout: StateLayout = {}): number {
  const bt = rows * seqLen;
  const fused = layout.attention === 'fused';
  const scores = rows * c.nHead * seqLen * seqLen;
  const qkvo = bt * c.headDim * (2 * c.nHead + 2 * c.nKvHead);
  const mlp = bt * c.dFF * (c.mlp === 'swiglu' ? 4 : 2);
  const dropout = c.dropout > 0 ? scores + 3 * bt * c.dModel : 0;
  const perLayer = (fused ? rows * c.nHead * seqLen : 2 * scores) + qkvo + 6 * bt * c.dModel + mlp + dropout;
  const head = 2 * bt * c.dModel + 3 * bt * c.vocabSize;
  const backwardPeak = (fused ? 0 : scores) + 2 * bt * c.dModel;
  const every = layout.checkpointEvery ?? 0;
  const floats =
    every > 0
      ? Math.max(head, Math.min(every, c.nLayer) * perLayer) + backwardPeak + (Math.ceil(c.nLayer / every) + 1) * bt * c.dModel
      : c.nLayer * perLayer + head + backwardPeak;
  return floats * (layout.autocast === 'bf16' ? 2 : FLOAT_BYTES);
}

/** One rank's training state on its device, in bytes: what `train --dry-run` prints. The parts add up to its peak. */
export interface RankState {
  /** The parameters (float32, every rank holds them all up to ZeRO-2), plus autocast's bf16 copy. */
  weights: number;
  /** The backward's gradients, plus the sums held across micro-batches (sharded under ZeRO-2). */
  gradients: number;
  /** AdamW's two moments (sharded under ZeRO-1 and -2). */
  moments: number;
  activations: number;
  /**
   * What the collectives and the sharded update hold beyond the backward's peak, when that is more: the
   * all-reduce's flat copy of the gradients; ZeRO's reduce-scatter and all-gather buffers (a few buckets) and shards.
   */
  buffers: number;
}

/** PyTorch DDP's bucket (bucket_cap_mb = 25): the collectives' unit, and of their transient buffers. */
export const BUCKET_BYTES = 25 * 1024 * 1024;

/**
 * The parameters and the backward's gradients are whole on every rank (this engine's backward returns every
 * gradient at once, so even under ZeRO-2 they all exist when it ends; ZeRO-2 shards what is kept after it: the
 * sums across micro-batches). AdamW's moments are 2 weights, over the world size from ZeRO-1 on. The step's
 * peak is the largest of three moments: the end of backward (gradients and activations), the reduction across
 * ranks (data parallel and ZeRO-1: an all-reduce of flat copies of every bucket, a weight's worth; ZeRO-2: the
 * shard and three buckets of the reduce-scatter) and ZeRO's update (the parameter shard and the all-gather's
 * two and a half buckets, beside the whole gradient for ZeRO-1 or its shard for ZeRO-2); `buffers` is what the
 * largest adds beyond the first. Measured within 6% of the allocator's peak (benchmarks/zero-memory.ts).
 */
export function rankState(c: ModelConfig, rows: number, seqLen: number, layout: StateLayout = {}): RankState {
  const w = weightBytes(c);
  const stage = layout.zeroStage ?? 0;
  const ranks = layout.worldSize ?? 1;
  const shard = (bytes: number) => Math.ceil(bytes / (stage > 0 ? ranks : 1));
  const sums = (layout.gradAccum ?? 1) > 1 ? (stage >= 2 ? shard(w) : w) : 0;
  const gradients = w + sums;
  const activations = activationBytes(c, rows, seqLen, layout);
  const bucket = Math.min(BUCKET_BYTES, w);
  let reduce = 0;
  let update = 0;
  if (ranks > 1) {
    reduce = stage < 2 ? gradients + w : gradients + shard(w) + 3 * bucket;
    if (stage === 1) update = w + shard(w) + 2.5 * bucket;
    if (stage === 2) update = 2 * shard(w) + 2.5 * bucket;
  }
  return {
    weights: w + (layout.autocast === 'bf16' ? w / 2 : 0),
    gradients,
    moments: shard(2 * w),
    activations,
    buffers: Math.max(0, reduce - (gradients + activations), update - (gradients + activations)),
  };
}

/** A command's estimate, in bytes, and what it is made of (for the refusal's words). */
export interface MemoryEstimate {
  bytes: number;
  parts: Record<string, number>;
}

function estimate(parts: Record<string, number>): MemoryEstimate {
  return { bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/** Bytes the initializer holds at its peak while it loads: the sum of its plan's parts. */
export function loadBytes(plan: InitPlan): number {
  return Object.values(plan.load).reduce((a, b) => a + b, 0);
}

/** `init`, `clone`, `grow`: what the initializer holds (weights; a clone's source and every growth step's output). */
export function loadMemory(plan: InitPlan): MemoryEstimate {
  return estimate({ runtime: RUNTIME_BYTES.plain, ...plan.load });
}

export interface TrainShape extends StateLayout {
  /** Sequences per micro-batch on this process (the global batch over the ranks, or the eval batch if larger). */
  rows: number;
  seqLen: number;
  /** Host bytes the initializer holds while it loads (its weights, a clone's source, a resume's moments). */
  loadBytes: number;
  /** Where the parameters live: on 'cuda' only host memory is checked (device memory is not queried). */
  device: string;
}

/**
 * `train`: the initial weights on the host, and on the device one rank's parameters, gradients, AdamW's two
 * moments and the activations (rankState), plus two weight-sized copies staged for each checkpoint write.
 */
export function trainMemory(c: ModelConfig, s: TrainShape): MemoryEstimate {
  const w = weightBytes(c);
  const host = { runtime: RUNTIME_BYTES.training, initial: s.loadBytes, checkpointStaging: 2 * w };
  if (s.device === 'cuda') return estimate(host);
  const r = rankState(c, s.rows, s.seqLen, s);
  const device = { parameters: r.weights, gradients: r.gradients, adamw: r.moments, activations: r.activations };
  return estimate({ ...host, ...device, ...(r.buffers > 0 ? { buffers: r.buffers } : {}) });
}

/** What the check compares with: memory available now plus a tenth of the total (the estimate's slack), at most the total. */
export interface MemoryLimit {
  bytes: number;
  text: string;
}

export function hostMemoryLimit(free = freemem(), total = totalmem()): MemoryLimit {
  const bytes = Math.min(total, free + 0.1 * total);
  return { bytes, text: `${gib(bytes)} GiB (${gib(free)} GiB available + a tenth of the ${gib(total)} GiB total, at most the total)` };
}

function gib(bytes: number): string {
  return (bytes / GIB).toFixed(bytes < 10 * GIB ? 2 : 1);
}

/** A refusal of the memory check; the CLI prints its message as one line. */
export class MemoryCheckError extends Error {
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
    readonly limit: MemoryLimit,
  ) {
    super(message);
    this.name = 'MemoryCheckError';
  }
}

export interface MemoryCheck {
  /** The command, as the message names it ('train', 'clone'). */
  what: string;
  /** What to do instead, e.g. 'lower --batch-size or --seq-len'. */
  advice: string;
  /** How the caller turns the check off, e.g. '--skip-memory-check'. */
  override: string;
  limit?: MemoryLimit;
}

/** Throws MemoryCheckError, one line with the estimate, its biggest parts and the limit, when it does not fit. */
export function checkMemory(e: MemoryEstimate, check: MemoryCheck): void {
  const limit = check.limit ?? hostMemoryLimit();
  if (e.bytes <= limit.bytes) return;
  const parts = Object.entries(e.parts)
    .filter(([, n]) => n >= 0.01 * e.bytes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${gib(n)}`)
    .join(', ');
  throw new MemoryCheckError(
    `${check.what} would need about ${gib(e.bytes)} GiB of memory (${parts}) but the limit is ${limit.text}; ` +
      `${check.advice}, or pass ${check.override} to try anyway`,
    e,
    limit,
  );
}
