// The Backend interface: the one seam between the model and a compute engine (tfjs, libtorch).
// Not an implementation: engines live in @hyperclone/backend-*; reference compositions of the
// optional fused ops live in fused-reference.ts.

import type { DType, HostTensor } from './host-tensor.js';

/** An engine's tensor handle. Opaque to the model: only the backend that made it may look inside. */
export interface Tensor {
  readonly __tensorBrand: unique symbol;
}

/** What `tidy` may return: tensors it keeps alive, in any nesting of arrays and plain objects. */
export type TensorContainer = Tensor | void | number | string | TensorContainer[] | { [key: string]: TensorContainer };

export interface DeviceInfo {
  /** 'cpu', 'cuda', 'wasm', 'webgl', ... */
  kind: string;
  /** Human-readable device name, e.g. 'NVIDIA H100 80GB HBM3' or the CPU model. */
  name: string;
  /** Devices in use (for device-hours). */
  count: number;
}

/**
 * The required core: every backend implements all of these. Shapes broadcast like NumPy for the
 * elementwise binary ops. Integer tensors (int32) only appear as token ids and targets.
 */
export interface RequiredOps {
  // host I/O
  fromHost(t: HostTensor): Tensor;
  toHost(t: Tensor): HostTensor;
  shape(t: Tensor): number[];
  dtype(t: Tensor): DType;
  scalar(value: number): Tensor;

  // elementwise
  add(a: Tensor, b: Tensor): Tensor;
  sub(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor): Tensor;
  div(a: Tensor, b: Tensor): Tensor;
  neg(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  /** The Gauss error function (exact GELU is 0.5·x·(1 + erf(x/√2))). */
  erf(x: Tensor): Tensor;
  /** max(x, 0); its gradient is 0 at 0, as in PyTorch. */
  relu(x: Tensor): Tensor;
  /** 1.0 where a == b, else 0.0 (float32). */
  equal(a: Tensor, b: Tensor): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;

  // reductions (axes may be negative)
  sum(x: Tensor, axis: number | number[], keepDims?: boolean): Tensor;
  max(x: Tensor, axis: number, keepDims?: boolean): Tensor;
  /** int32 indices of the maximum along an axis. */
  argmax(x: Tensor, axis: number): Tensor;

  // layout
  reshape(x: Tensor, shape: number[]): Tensor;
  transpose(x: Tensor, perm: number[]): Tensor;
  slice(x: Tensor, begin: number[], size: number[]): Tensor;
  concat(xs: Tensor[], axis: number): Tensor;

  // indexing
  /** Rows of a 2-D table [N, C] at int32 indices of any shape S: result [...S, C]. */
  gather(table: Tensor, indices: Tensor): Tensor;
  /** float32 one-hot [...S, depth] of int32 indices [...S]; out-of-range indices give all zeros. */
  oneHot(indices: Tensor, depth: number): Tensor;

  // linear algebra: batched over equal leading dimensions, [..., M, K] x [..., K, N]
  matmul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;

  // randomness: inverted dropout, deterministic for a given seed on a given backend
  dropout(x: Tensor, rate: number, seed: number): Tensor;
}

export interface AttentionOptions {
  /** Softmax scale, usually 1/sqrt(headDim). */
  scale: number;
  causal: boolean;
  /** Causal only: query t sees only the last `window` keys it may see (s > t + Tk - T - window); absent: all of them. */
  window?: number;
  /** Scores become softcap·tanh(score / softcap) after the scale, before the mask (Gemma 2); absent: none. */
  softcap?: number;
  /** Dropout on the attention probabilities (training only; 0 for none). */
  dropout?: number;
  dropoutSeed?: number;
}

export interface ClassifierOptions {
  /** Targets equal to this are skipped (the loss is the mean over the rest). */
  ignoreIndex: number;
  /** Multiplies the logits (the model config's logitScale). */
  logitScale: number;
  /** Rows per chunk (tests and benchmarks); absent: the engine's choice. */
  chunkRows?: number;
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count for bias correction. */
  step: number;
}

/**
 * Optional fused ops. Each has a reference composition of required ops (fused-reference.ts) and
 * the conformance suite checks a backend's fused version against it.
 */
export interface FusedOps {
  /** A linear layer over the last axis: x (..., in) · weightᵀ (out, in) [+ bias (out)] -> (..., out). */
  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor;
  /** Normalizes the last axis; bias may be null. */
  layerNorm(x: Tensor, weight: Tensor, bias: Tensor | null, eps: number): Tensor;
  rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor;
  /** GELU, tanh approximation (GPT-2's). */
  gelu(x: Tensor): Tensor;
  /** GELU, exact: 0.5·x·(1 + erf(x/√2)) (PyTorch's default, GPT-NeoX's). */
  geluExact(x: Tensor): Tensor;
  /** x * sigmoid(x). */
  silu(x: Tensor): Tensor;
  softmax(x: Tensor): Tensor;
  logSoftmax(x: Tensor): Tensor;
  /** q, k, v: [B, H, T, D] with equal head counts (the model repeats grouped kv heads first). */
  attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor;
  /** Mean cross-entropy of logits [N, V] against int32 targets [N], skipping targets equal to ignoreIndex. */
  crossEntropy(logits: Tensor, targets: Tensor, ignoreIndex: number): Tensor;
  /**
   * The LM head and the loss in one: crossEntropy((x [N, C] · weightᵀ [+ bias]) · logitScale, targets [N]), weight
   * [V, C]. A fused engine computes it over chunks of rows so the [N, V] logits never exist at once.
   */
  linearCrossEntropy(x: Tensor, weight: Tensor, bias: Tensor | null, targets: Tensor, options: ClassifierOptions): Tensor;
  /**
   * One AdamW step (decoupled decay) for one parameter. Returns the new [param, m, v]; a backend
   * may update in place and return the same handles, so callers dispose old handles only when
   * they differ from the new ones.
   */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamWHyper): [Tensor, Tensor, Tensor];
}

export interface Backend extends RequiredOps {
  /** 'tfjs' or 'torch'. */
  readonly name: string;
  /** The engine underneath, e.g. 'tfjs-wasm' or 'libtorch 2.11.0 (cuda, bf16 autocast)'. */
  readonly engine: string;
  readonly device: DeviceInfo;
  readonly fused: Partial<FusedOps>;

  // memory: native memory is invisible to the JS GC, so every tensor is freed explicitly
  /** Runs fn and frees every tensor it created except those it returns. */
  tidy<R extends TensorContainer>(fn: () => R): R;
  /** Keeps a tensor alive past the enclosing tidy. */
  keep<T extends Tensor>(t: T): T;
  dispose(t: TensorContainer): void;
  /** Live tensors this backend holds (for leak tests). */
  liveTensors(): number;

  /**
   * Value and gradients of a scalar function of some tensors. The engine's own autograd does the
   * work (tfjs tape, libtorch autograd). The result tensors are owned by the caller.
   */
  valueAndGrad(f: (xs: Tensor[]) => Tensor, xs: Tensor[]): { value: Tensor; grads: Tensor[] };

  /** Waits for queued device work (CUDA) so host timings are honest; a no-op on synchronous engines. */
  sync(): void;

  /** Frees everything the backend holds (end of program or test). */
  close(): void;
}
