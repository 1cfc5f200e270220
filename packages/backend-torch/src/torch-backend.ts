// The torch Backend: core's interface over the libtorch addon (CPU or CUDA, optional bf16 autocast on CUDA).
// Not the ops themselves (required-ops.ts, fused-ops.ts, multi-tensor-ops.ts, memory.ts) nor the native code.

import { availableParallelism } from 'node:os';
import type { Backend, MemoryProbe, MultiTensorOps, StepRecording } from '@hyperclone/core';
import { loadAddon, type NativeAddon, type NativeEngine } from './addon.js';
import { deviceInfo } from './device-info.js';
import { fusedOps } from './fused-ops.js';
import { memoryOps } from './memory.js';
import { multiTensorOps } from './multi-tensor-ops.js';
import { requiredOps } from './required-ops.js';
import { stepRecording } from './step-programs.js';

export interface TorchBackendOptions {
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: 'cpu' | 'cuda' | `cuda:${number}`;
  /** CPU threads for libtorch's intra-op pool (a process-wide setting); default: every core. */
  threads?: number;
  /** 'bf16': CUDA autocast (matmuls and attention in bf16, reductions in fp32). */
  autocast?: 'bf16' | null;
  /**
   * Keep freed host memory for reuse instead of returning it to the OS after every step (glibc, process-wide;
   * default true). CPU training steps run faster (docs/backend-torch.md); the price is that RSS stays at its peak.
   */
  retainHostMemory?: boolean;
}

/** Tensors below 1 GiB come from the heap (not fresh mmaps); up to 2 GiB of freed heap stays mapped. */
const MMAP_THRESHOLD_BYTES = 1 << 30;
const TRIM_THRESHOLD_BYTES = 2 ** 31 - 1;

/**
 * The torch Backend plus core's optional MultiTensorOps: AdamW (one multi-tensor kernel on CUDA with
 * libtorch >= 2.0), the global-norm gradient clip and the non-finite guard, each over every parameter at once;
 * core's StepRecording: a training step's ops recorded once and replayed natively with one call; and core's
 * MemoryProbe: the table's live bytes and the allocator's bytes and peak (the device's allocator: host memory
 * on CPU), counted from trackMemory() on.
 */
export interface TorchBackend extends Backend, MultiTensorOps, StepRecording, MemoryProbe {
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
  if (options.autocast && options.autocast !== 'bf16')
    throw new Error(`autocast must be "bf16" or null (got "${String(options.autocast)}")`);
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

const engines = new WeakMap<object, NativeEngine>();

/** The native engine behind a torch backend (for the process group); throws for any other backend. */
export function engineOf(b: Backend): NativeEngine {
  const e = engines.get(b);
  if (!e) throw new Error(`the backend "${b.name}" is not a torch backend; c10d process groups need createTorchBackend()`);
  return e;
}

function makeBackend(addon: NativeAddon, e: NativeEngine, device: string, threads: number, autocast: boolean): TorchBackend {
  const backend: TorchBackend = {
    ...requiredOps(e),
    ...memoryOps(e),
    name: 'torch',
    engine: engineName(addon, device, threads, autocast),
    device: deviceInfo(device),
    fused: fusedOps(e),
    torchVersion: addon.version(),
    threads,
    ...multiTensorOps(e),
    ...stepRecording(e),
    liveBytes: () => e.liveBytes(),
    trackMemory: () => addon.trackMemory(),
    allocatorStats: () => {
      const stats = addon.memoryStats();
      return device.startsWith('cuda') ? stats.accelerator : stats.cpu;
    },
    resetPeakMemory: () => addon.resetPeakMemory(),
    sync: () => e.sync(),
    close: () => e.close(),
  };
  engines.set(backend, e);
  return backend;
}
