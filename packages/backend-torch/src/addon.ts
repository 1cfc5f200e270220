// Loads the compiled libtorch addon and types its surface; says how to build it when it is missing.
// Not the Backend: torch-backend.ts wraps an Engine into core's interface.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** One backend's native state: device, autocast and a table of tensors addressed by integer ids. */
export interface NativeEngine {
  fromHost(data: Float32Array | Int32Array, shape: readonly number[]): number;
  toHost(id: number): Float32Array | Int32Array;
  shape(id: number): number[];
  dtype(id: number): number;
  scalar(value: number): number;
  beginScope(): void;
  endScope(keepIds: number[]): void;
  keep(id: number): void;
  dispose(ids: number[]): void;
  live(): number;
  /** Bytes of the distinct storages behind the table's tensors. */
  liveBytes(): number;
  sync(): void;
  close(): void;
  unary(code: number, x: number): number;
  binary(code: number, a: number, b: number): number;
  cast(x: number, dtypeCode: number): number;
  sum(x: number, axes: number[], keepDims: boolean): number;
  max(x: number, axis: number, keepDims: boolean): number;
  argmax(x: number, axis: number): number;
  reshape(x: number, shape: number[]): number;
  transpose(x: number, perm: number[]): number;
  slice(x: number, begin: number[], size: number[]): number;
  concat(xs: number[], axis: number): number;
  gather(table: number, indices: number): number;
  oneHot(indices: number, depth: number): number;
  matmul(a: number, b: number, transposeA: boolean, transposeB: boolean): number;
  linear(x: number, weight: number, bias: number): number;
  dropout(x: number, rate: number, seed: number): number;
  layerNorm(x: number, weight: number, bias: number, eps: number): number;
  rmsNorm(x: number, weight: number, eps: number): number;
  /** window: keys a causal query sees at most (0: all); softcap: scores become softcap·tanh(s / softcap) (0: none). */
  attention(
    q: number,
    k: number,
    v: number,
    scale: number,
    causal: boolean,
    dropout: number,
    seed: number,
    window: number,
    softcap: number,
  ): number;
  crossEntropy(logits: number, targets: number, ignoreIndex: number): number;
  linearCrossEntropy(
    x: number,
    weight: number,
    bias: number,
    targets: number,
    ignoreIndex: number,
    scale: number,
    chunkRows: number,
  ): number;
  gradLeaves(xs: number[]): number[];
  gradients(value: number, leaves: number[]): number[];
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  adamwMany(
    ps: number[],
    gs: number[],
    ms: number[],
    vs: number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
    skipIf: number,
  ): void;
  /** sumSq: the id of a Σg² to clip by instead of the gradients' own, or -1. */
  clipGradNorm(gs: number[], maxNorm: number, divisor: number, sumSq: number): number;
  sumOfSquares(xs: number[]): number;
  flagNonFinite(guard: number, xs: number[]): void;
  /** Records every op from here on; the inputs become the program's fixed batch buffers. */
  beginRecord(inputIds: number[]): void;
  /** The program's id, or why the step could not be recorded. */
  endRecord(outputIds: number[]): number | string;
  abortRecord(): void;
  /** Output ids, or null when a tensor the program reads from before its recording was disposed. */
  replay(program: number, data: (Int32Array | Float32Array)[], lr: number, step: number): number[] | null;
  /** true, or why the program will not be captured as a CUDA graph. */
  captureGraph(program: number, lr: number, step: number, warmups: number): true | string;
  programState(program: number): { instructions: number; inputs: number; graph: string };
  disposeProgram(program: number): void;
}

/** One op's profile line (native/op-profiler.cpp): wall-clock microseconds on the profiled thread. */
export interface NativeOpStats {
  /** The outermost event it ran under: the op JavaScript called, or a replayed program's instruction. */
  entry: string;
  name: string;
  calls: number;
  totalUs: number;
  selfUs: number;
}

/** c10d's store (native/store.cpp): TCPStore, optionally under a key prefix. Values are strings. */
export interface NativeStore {
  set(key: string, value: string): void;
  get(key: string): string;
  add(key: string, delta: number): number;
  check(keys: string[]): boolean;
  port(): number;
  close(): void;
}

/** c10d's process group (native/process-group.cpp) over an Engine's tensors. */
export interface NativeProcessGroup {
  allReduce(engine: NativeEngine, ids: number[], op: string, bucketBytes: number): number[];
  broadcast(engine: NativeEngine, ids: number[], root: number, bucketBytes: number): void;
  reduceScatter(engine: NativeEngine, ids: number[], op: string, bucketCounts: number[]): number;
  allGather(engine: NativeEngine, shard: number, ids: number[], bucketCounts: number[]): void;
  barrier(): void;
  close(): void;
}

export interface NativeAddon {
  version(): string;
  cudaDeviceCount(): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** glibc mallopt: serve allocations below mmapThresholdBytes from the heap; keep up to trimThresholdBytes free. */
  retainHostMemory(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
  opProfileStart(): void;
  opProfileStop(): { wallUs: number; insideUs: number; ops: NativeOpStats[] };
  /** native/memory-stats.cpp: count the allocators' allocations on this thread from now on (idempotent). */
  trackMemory(): void;
  memoryStats(): {
    tracking: boolean;
    cpu: { allocatedBytes: number; peakBytes: number };
    accelerator: { allocatedBytes: number; peakBytes: number };
  };
  resetPeakMemory(): void;
  Engine: new (device: string, autocast: boolean) => NativeEngine;
  /** Decided at build time by the c10d probes (CMakeLists.txt, scripts/build-native.mjs). */
  distributedSupport(): { c10d: boolean; gloo: boolean; nccl: boolean };
  Store: new (
    host: string,
    port: number,
    isServer: boolean,
    worldSize: number,
    timeoutMs: number,
    prefix: string,
    who: string,
  ) => NativeStore;
  ProcessGroup: new (store: NativeStore, rank: number, size: number, engine: string, timeoutMs: number, who: string) => NativeProcessGroup;
}

/** Where the addon is loaded from: HYPERCLONE_TORCH_ADDON, else this package's build/Release. */
export function addonPath(): string {
  return process.env.HYPERCLONE_TORCH_ADDON ?? fileURLToPath(new URL('../build/Release/hyperclone_torch.node', import.meta.url));
}

/** In the checkout (src/ beside dist/) the addon is built by an npm script; an installed package by npm rebuild. */
const BUILD_COMMAND = existsSync(new URL('../src', import.meta.url)) ? 'npm run build:native' : 'npm rebuild @hyperclone/backend-torch';

export const BUILD_HINT =
  `run \`${BUILD_COMMAND}\` after \`apt-get install -y libtorch-dev cmake g++\` ` +
  '(or set LIBTORCH to a libtorch holding share/cmake/Torch, e.g. the torch/ dir of a PyTorch wheel)';

let cached: NativeAddon | null = null;

/** The addon, loaded once; throws with the build command when it is missing or cannot load. */
export function loadAddon(): NativeAddon {
  cached ??= loadAddonAt(addonPath());
  return cached;
}

/** Loads the addon file at `path` (uncached). */
export function loadAddonAt(path: string): NativeAddon {
  if (!existsSync(path)) throw new Error(`the libtorch addon is not built (no ${path}); ${BUILD_HINT}`);
  // Idle OpenMP workers sleep instead of spinning: with spinning, 2 threads on a busy machine ran a tiny
  // model's step far slower than 1 (docs/backend-torch.md). Read by libgomp when libtorch loads; set
  // OMP_WAIT_POLICY=ACTIVE to opt out.
  process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE';
  // libtorch's glog chatter (c10d's socket warnings) repeats what our exceptions say; read when glog loads.
  // GLOG_minloglevel=0 shows it again.
  process.env['GLOG_minloglevel'] ??= '2';
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new Error(`the libtorch addon at ${path} failed to load (${(e as Error).message}); rebuild it: ${BUILD_HINT}`);
  }
}
