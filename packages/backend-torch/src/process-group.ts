// core's ProcessGroup over c10d: a TCPStore that rank 0 serves (or torchrun's agent store), and ProcessGroupGloo
// on CPU or ProcessGroupNCCL on CUDA. Not a collective of our own (Gloo's missing reduce-scatter is composed in
// native/process-group.cpp from c10d's all-to-all), and not when training calls it (the trainer decides that).

import type { Backend, GroupStore, ProcessGroup, ReduceOp, ShardLayout, Tensor } from '@hyperclone/core';
import { loadAddon, type NativeProcessGroup, type NativeStore } from './addon.js';
import { engineOf } from './torch-backend.js';
import { idOf, wrap } from './torch-tensor.js';

/** PyTorch's default for a process group: a collective may wait 30 minutes for the others. */
export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
/** PyTorch DDP's gradient bucket (bucket_cap_mb = 25). */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

export type CollectiveEngine = 'gloo' | 'nccl';

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Where the TCPStore listens (torchrun's MASTER_ADDR, MASTER_PORT); rank 0 serves it. */
  masterAddr: string;
  masterPort: number;
  /** Default: 'nccl' when the backend runs on CUDA, else 'gloo'. */
  engine?: CollectiveEngine;
  /** How long each collective may wait for the others (default 30 min, as PyTorch). */
  timeoutMs?: number;
  /** How long joining (and the store's waits) may take for every rank to arrive; default timeoutMs. */
  connectTimeoutMs?: number;
  /**
   * torchrun's agent already serves the store at masterAddr:masterPort (TORCHELASTIC_USE_AGENT_STORE=True):
   * every rank connects as a client, under /worker/attempt_<restartCount> (TORCHELASTIC_RESTART_COUNT).
   */
  agentStore?: { restartCount: number } | null;
}

/** What this build of the addon can do: c10d at all (TCPStore + Gloo), and NCCL. */
export function distributedSupport(): { c10d: boolean; gloo: boolean; nccl: boolean } {
  return loadAddon().distributedSupport();
}

/** The process group interface plus the port the store really listens on (for masterPort 0). */
export interface TorchProcessGroup extends ProcessGroup {
  readonly port: number;
}

/** Joins (rank 0: opens) the group; blocks until all worldSize ranks are there or the timeout passes. */
export function createProcessGroup(backend: Backend, options: ProcessGroupOptions): TorchProcessGroup {
  const o = checkOptions(backend, options);
  const addon = loadAddon();
  const who = `rank ${o.rank} of ${o.worldSize}`;
  const agent = o.agentStore ?? null;
  const prefix = agent ? `/worker/attempt_${agent.restartCount}/` : '';
  const store = new addon.Store(o.masterAddr, o.masterPort, !agent && o.rank === 0, o.worldSize, o.connectTimeoutMs, prefix, who);
  let native: NativeProcessGroup;
  try {
    native = new addon.ProcessGroup(store, o.rank, o.worldSize, o.engine, o.timeoutMs, who);
  } catch (e) {
    store.close();
    throw e;
  }
  return wrapGroup(backend, native, store, o);
}

type Checked = Required<Omit<ProcessGroupOptions, 'agentStore'>> & Pick<ProcessGroupOptions, 'agentStore'>;

function checkOptions(backend: Backend, o: ProcessGroupOptions): Checked {
  const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && v >= min && v <= max;
  if (!isInt(o.worldSize, 1)) throw new Error(`worldSize must be a positive integer (got ${o.worldSize})`);
  if (!isInt(o.rank, 0, o.worldSize - 1)) throw new Error(`rank must be an integer in [0, ${o.worldSize - 1}] (got ${o.rank})`);
  if (!isInt(o.masterPort, 0, 65535)) throw new Error(`masterPort must be a port number 0-65535 (got ${o.masterPort})`);
  if (!o.masterAddr) throw new Error('masterAddr must name the host that serves the store (e.g. 127.0.0.1)');
  const cuda = backend.device.kind === 'cuda';
  const engine = o.engine ?? (cuda ? 'nccl' : 'gloo');
  if (engine !== 'gloo' && engine !== 'nccl') throw new Error(`engine must be gloo or nccl (got ${String(engine)})`);
  if (engine === 'nccl' && !cuda)
    throw new Error('the nccl engine needs a CUDA backend (createTorchBackend({ device: "cuda" })); use gloo on CPU');
  const support = distributedSupport();
  if (!support.c10d)
    throw new Error('this build of the libtorch addon has no c10d: apt-get install libgloo-dev, then npm run build:native');
  if (engine === 'nccl' && !support.nccl)
    throw new Error(
      'this build of the libtorch addon has no NCCL (see docs/distributed.md: NCCL_INCLUDE_DIR, npm run build:native); use gloo',
    );
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!isInt(timeoutMs, 1)) throw new Error(`timeoutMs must be a positive integer (got ${timeoutMs})`);
  const connectTimeoutMs = o.connectTimeoutMs ?? timeoutMs;
  if (!isInt(connectTimeoutMs, 1)) throw new Error(`connectTimeoutMs must be a positive integer (got ${connectTimeoutMs})`);
  return { ...o, engine, timeoutMs, connectTimeoutMs };
}

function wrapGroup(backend: Backend, native: NativeProcessGroup, store: NativeStore, o: Checked): TorchProcessGroup {
  const e = engineOf(backend);
  const shapes = (ts: readonly Tensor[]) => ts.map((t) => backend.shape(t));
  let closed = false;
  return {
    rank: o.rank,
    worldSize: o.worldSize,
    engine: o.engine,
    timeoutMs: o.timeoutMs,
    port: store.port(),
    allReduce(tensors: readonly Tensor[], op: ReduceOp, options: { bucketBytes?: number } = {}): Tensor[] {
      const shape = shapes(tensors);
      const ids = native.allReduce(e, tensors.map(idOf), op, bucketBytes(options.bucketBytes));
      return ids.map((id, i) => wrap(id, shape[i]!));
    },
    broadcast(tensors: readonly Tensor[], root: number): void {
      if (!Number.isInteger(root) || root < 0 || root >= o.worldSize)
        throw new Error(`broadcast root must be a rank in [0, ${o.worldSize - 1}]`);
      native.broadcast(e, tensors.map(idOf), root, DEFAULT_BUCKET_BYTES);
    },
    reduceScatter(tensors: readonly Tensor[], op: 'sum' | 'avg', layout: Pick<ShardLayout, 'bucketCounts'>): Tensor {
      return wrap(native.reduceScatter(e, tensors.map(idOf), op, [...layout.bucketCounts]));
    },
    allGather(shard: Tensor, into: readonly Tensor[], layout: Pick<ShardLayout, 'bucketCounts'>): void {
      native.allGather(e, idOf(shard), into.map(idOf), [...layout.bucketCounts]);
    },
    barrier: () => native.barrier(),
    store: groupStore(store),
    close(): void {
      if (closed) return;
      closed = true;
      native.close();
      store.close();
    },
  };
}

function bucketBytes(value: number | undefined): number {
  const v = value ?? DEFAULT_BUCKET_BYTES;
  if (!Number.isInteger(v) || v < 1) throw new Error(`bucketBytes must be a positive integer (got ${v})`);
  return v;
}

/** The store as the trainer sees it: its keys live under kv/, apart from the ones c10d's rendezvous writes. */
function groupStore(store: NativeStore): GroupStore {
  const k = (key: string) => `kv/${key}`;
  return {
    set: (key, value) => store.set(k(key), value),
    get: (key) => store.get(k(key)),
    add: (key, delta) => store.add(k(key), delta),
    check: (keys) => store.check(keys.map(k)),
  };
}
