// The torch Backend: core's interface over the libtorch addon (CPU or CUDA, optional bf16 autocast on CUDA).
// Not the native code (native/*.cpp) and not the model: every op here is one call into an Engine.

import { availableParallelism } from 'node:os';
import type { AdamWHyper, AttentionOptions, Backend, DType, FusedOps, HostTensor, Tensor, TensorContainer } from '@hyperclone/core';
import { hostTensor } from '@hyperclone/core';
import { loadAddon, type NativeAddon, type NativeEngine } from './addon.js';
import { collectIds } from './containers.js';
import { deviceInfo } from './device-info.js';
import { BINARY, DTYPE_CODE, UNARY } from './op-codes.js';
import { idOf, TorchTensor, wrap } from './torch-tensor.js';

export interface TorchBackendOptions {
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: 'cpu' | 'cuda' | `cuda:${number}`;
  /** CPU threads for libtorch's intra-op pool (a process-wide setting); default: every core. */
  threads?: number;
  /** 'bf16': CUDA autocast (matmuls and attention in bf16, reductions in fp32). */
  autocast?: 'bf16' | null;
  /**
   * Keep freed host memory for reuse instead of returning it to the OS after every step (glibc, process-wide;
   * default true). Training on CPU runs 1.3-1.5x faster; the price is that RSS stays at its peak.
   */
  retainHostMemory?: boolean;
}

/** Tensors below 1 GiB come from the heap (not fresh mmaps); up to 2 GiB of freed heap stays mapped. */
const MMAP_THRESHOLD_BYTES = 1 << 30;
const TRIM_THRESHOLD_BYTES = 2 ** 31 - 1;

/** The torch Backend plus one call beyond core's interface: AdamW over every parameter at once. */
export interface TorchBackend extends Backend {
  /** In-place AdamW over lists of parameters (one multi-tensor kernel on CUDA with libtorch >= 2.0). */
  adamwAll(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], hp: AdamWHyper): void;
  /** libtorch's version, e.g. '1.13.0'. */
  readonly torchVersion: string;
  readonly threads: number;
}

export async function createTorchBackend(options: TorchBackendOptions = {}): Promise<TorchBackend> {
  const addon = loadAddon();
  const device = options.device ?? 'cpu';
  if (options.autocast && !device.startsWith('cuda')) {
    throw new Error(`autocast "${options.autocast}" needs device "cuda" (got "${device}"); drop autocast on CPU`);
  }
  if (options.autocast && options.autocast !== 'bf16') throw new Error(`autocast must be "bf16" or null (got "${String(options.autocast)}")`);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer (got ${threads})`);
  addon.setNumThreads(threads);
  if (options.retainHostMemory ?? true) addon.retainHostMemory(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES);
  const engine = new addon.Engine(device, options.autocast === 'bf16');
  return makeBackend(addon, engine, device, threads, options.autocast === 'bf16');
}

function engineName(addon: NativeAddon, device: string, threads: number, autocast: boolean): string {
  const where = device.startsWith('cuda') ? `${device}${autocast ? ', bf16 autocast' : ''}` : `cpu, ${threads} threads`;
  return `libtorch ${addon.version()} (${where})`;
}

function makeBackend(addon: NativeAddon, e: NativeEngine, device: string, threads: number, autocast: boolean): TorchBackend {
  const id = idOf;
  const out = (newId: number): Tensor => wrap(newId);
  const unary = (code: number) => (x: Tensor) => out(e.unary(code, id(x)));
  const binary = (code: number) => (a: Tensor, b: Tensor) => out(e.binary(code, id(a), id(b)));

  const shape = (t: Tensor): number[] => {
    const tt = t as unknown as TorchTensor;
    if (!(tt instanceof TorchTensor)) idOf(t); // throws the mixing-backends error
    tt.shapeCache ??= e.shape(tt.id);
    return [...tt.shapeCache];
  };

  const fused: FusedOps = {
    layerNorm: (x, w, b, eps) => out(e.layerNorm(id(x), id(w), b ? id(b) : -1, eps)),
    rmsNorm: (x, w, eps) => out(e.rmsNorm(id(x), id(w), eps)),
    gelu: unary(UNARY.gelu),
    silu: unary(UNARY.silu),
    softmax: unary(UNARY.softmax),
    logSoftmax: unary(UNARY.logSoftmax),
    attention: (q, k, v, o: AttentionOptions) =>
      out(e.attention(id(q), id(k), id(v), o.scale, o.causal, o.dropout ?? 0, o.dropoutSeed ?? 0)),
    crossEntropy: (logits, targets, ignoreIndex) => out(e.crossEntropy(id(logits), id(targets), ignoreIndex)),
    adamw(param, grad, m, v, hp) {
      e.adamw(id(param), id(grad), id(m), id(v), hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.step);
      return [param, m, v]; // updated in place
    },
  };

  const backend: TorchBackend = {
    name: 'torch',
    engine: engineName(addon, device, threads, autocast),
    device: deviceInfo(device),
    fused,
    torchVersion: addon.version(),
    threads,

    fromHost: (t: HostTensor) => wrap(e.fromHost(t.data, t.shape), [...t.shape]),
    toHost(t) {
      const data = e.toHost(id(t));
      return hostTensor(shape(t), data);
    },
    shape,
    dtype: (t): DType => (e.dtype(id(t)) === DTYPE_CODE.int32 ? 'int32' : 'float32'),
    scalar: (value) => wrap(e.scalar(value), []),

    add: binary(BINARY.add),
    sub: binary(BINARY.sub),
    mul: binary(BINARY.mul),
    div: binary(BINARY.div),
    equal: binary(BINARY.equal),
    neg: unary(UNARY.neg),
    exp: unary(UNARY.exp),
    log: unary(UNARY.log),
    sqrt: unary(UNARY.sqrt),
    tanh: unary(UNARY.tanh),
    sigmoid: unary(UNARY.sigmoid),
    cast: (x, dtype) => out(e.cast(id(x), DTYPE_CODE[dtype])),

    sum: (x, axis, keepDims = false) => out(e.sum(id(x), Array.isArray(axis) ? axis : [axis], keepDims)),
    max: (x, axis, keepDims = false) => out(e.max(id(x), axis, keepDims)),
    argmax: (x, axis) => out(e.argmax(id(x), axis)),

    reshape: (x, newShape) => out(e.reshape(id(x), newShape)),
    transpose: (x, perm) => out(e.transpose(id(x), perm)),
    slice: (x, begin, size) => out(e.slice(id(x), begin, size)),
    concat: (xs, axis) => out(e.concat(xs.map(id), axis)),
    gather: (table, indices) => out(e.gather(id(table), id(indices))),
    oneHot: (indices, depth) => out(e.oneHot(id(indices), depth)),
    matmul: (a, b, transposeA = false, transposeB = false) => out(e.matmul(id(a), id(b), transposeA, transposeB)),
    dropout: (x, rate, seed) => out(e.dropout(id(x), rate, seed)),

    tidy<R extends TensorContainer>(fn: () => R): R {
      e.beginScope();
      let result: R;
      try {
        result = fn();
        if (result instanceof Promise) throw new Error('tidy cannot take an async function: await outside the tidy');
      } catch (err) {
        e.endScope([]);
        throw err;
      }
      e.endScope(collectIds(result));
      return result;
    },
    keep<T extends Tensor>(t: T): T {
      e.keep(id(t));
      return t;
    },
    dispose(container: TensorContainer) {
      e.dispose(collectIds(container));
    },
    liveTensors: () => e.live(),

    valueAndGrad(f: (xs: Tensor[]) => Tensor, xs: Tensor[]) {
      e.beginScope();
      let keepIds: number[] = [];
      try {
        const leafIds = e.gradLeaves(xs.map(id));
        const value = f(leafIds.map((leaf, i) => wrap(leaf, shape(xs[i]!))));
        keepIds = e.gradients(id(value), leafIds); // [value, ...grads]; the graph is freed here
        return { value: wrap(keepIds[0]!), grads: keepIds.slice(1).map((g, i) => wrap(g, shape(xs[i]!))) };
      } finally {
        e.endScope(keepIds); // frees the leaves and every intermediate f made
      }
    },

    adamwAll(params, grads, m, v, hp) {
      e.adamwMany(params.map(id), grads.map(id), m.map(id), v.map(id), hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.step);
    },

    sync: () => e.sync(),
    close: () => e.close(),
  };
  return backend;
}
