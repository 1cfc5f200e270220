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

/**
 * What one forward pass keeps for backward, for `rows` sequences of `seqLen` tokens: per layer the
 * attention scores and probabilities (2·B·H·T²), q, k, v and the attention output, six residual-stream
 * and norm tensors (6·B·T·d), the MLP's hidden tensors (2·B·T·dFF, 4 for SwiGLU) and dropout masks when
 * dropout > 0; then the embedding, the final norm and the logits (3·B·T·V: logits, softmax, their
 * gradient). Times 2 for the gradients and temporaries alive during backward (measured 1.7x on libtorch).
 */
export function activationBytes(c: ModelConfig, rows: number, seqLen: number): number {
  const bt = rows * seqLen;
  const scores = rows * c.nHead * seqLen * seqLen;
  const qkvo = bt * c.headDim * (2 * c.nHead + 2 * c.nKvHead);
  const mlp = bt * c.dFF * (c.mlp === 'swiglu' ? 4 : 2);
  const dropout = c.dropout > 0 ? scores + 3 * bt * c.dModel : 0;
  const perLayer = 2 * scores + qkvo + 6 * bt * c.dModel + mlp + dropout;
  const floats = c.nLayer * perLayer + 2 * bt * c.dModel + 3 * bt * c.vocabSize;
  return 2 * floats * FLOAT_BYTES;
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

export interface TrainShape {
  /** Sequences per micro-batch on this process (the global batch over the ranks, or the eval batch if larger). */
  rows: number;
  seqLen: number;
  /** Host bytes the initializer holds while it loads (its weights, a clone's source, a resume's moments). */
  loadBytes: number;
  /** Where the parameters live: on 'cuda' only host memory is checked (device memory is not queried). */
  device: string;
}

/**
 * `train`: the initial weights on the host, and on the device the parameters, gradients, AdamW's two
 * moments and the activations, plus two weight-sized copies staged for each checkpoint write.
 */
export function trainMemory(c: ModelConfig, s: TrainShape): MemoryEstimate {
  const w = weightBytes(c);
  const host = { runtime: RUNTIME_BYTES.training, initial: s.loadBytes, checkpointStaging: 2 * w };
  if (s.device === 'cuda') return estimate(host);
  return estimate({ ...host, parameters: w, gradients: w, adamw: 2 * w, activations: activationBytes(c, s.rows, s.seqLen) });
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
