// Picks and starts a TensorFlow.js engine: tensorflow (tfjs-node / tfjs-node-gpu), wasm, or cpu.
// Not the ops: tfjs-backend.ts wraps whichever engine this file started behind the Backend interface.

import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import type { DeviceInfo } from '@hyperclone/core';

/** The tfjs engines we can run on, best first. */
export type TfjsEngine = 'tensorflow' | 'wasm' | 'cpu';

export interface TfjsBackendOptions {
  /** 'auto' (default): tensorflow when tfjs-node(-gpu) is installed, else wasm, else cpu. */
  engine?: 'auto' | TfjsEngine;
  /**
   * Threads for the wasm engine. tfjs turns its threaded wasm build off under Node.js (its workers
   * start from blob: URLs, which Node's Worker refuses), so in Node wasm runs on one thread whatever
   * this says; the option takes effect where the threaded build loads (browsers).
   */
  threads?: number;
}

/** A started engine: the tfjs backend name to select, and what to report about it. */
export interface StartedEngine {
  engine: TfjsEngine;
  /** The name tfjs registered it under ('tensorflow', 'wasm', 'cpu'). */
  tfjsName: string;
  /** Backend.engine, e.g. 'tfjs-wasm'. */
  label: string;
  device: DeviceInfo;
  threads: number;
}

const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export async function startEngine(options: TfjsBackendOptions = {}): Promise<StartedEngine> {
  const wanted = options.engine ?? 'auto';
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`threads must be a positive integer (got ${String(options.threads)})`);
  }
  switch (wanted) {
    case 'tensorflow':
      return startTensorflow();
    case 'wasm':
      return startWasm(threads);
    case 'cpu':
      return startCpu();
    case 'auto':
      return startAuto(threads);
    default:
      throw new Error(`unknown tfjs engine "${String(wanted)}"; choose auto, tensorflow, wasm or cpu`);
  }
}

async function startAuto(threads: number): Promise<StartedEngine> {
  const node = await importNodeBinding();
  if (node) return activateTensorflow(node);
  try {
    return await startWasm(threads);
  } catch {
    return startCpu();
  }
}

async function startTensorflow(): Promise<StartedEngine> {
  const node = await importNodeBinding();
  if (!node) {
    throw new Error(
      'the tfjs "tensorflow" engine needs libtensorflow bindings, which are not installed: ' +
        'run `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` (CUDA), ' +
        "or ask for engine 'wasm' or 'cpu'",
    );
  }
  return activateTensorflow(node);
}

/** The first of tfjs-node-gpu / tfjs-node that imports, or null. Optional peers: never dependencies. */
async function importNodeBinding(): Promise<{ gpu: boolean } | null> {
  for (const name of NODE_PACKAGES) {
    try {
      await import(name);
      return { gpu: name.endsWith('-gpu') };
    } catch {
      // not installed (or its native library failed to load): try the next one
    }
  }
  return null;
}

async function activateTensorflow(node: { gpu: boolean }): Promise<StartedEngine> {
  await select('tensorflow');
  const device: DeviceInfo = node.gpu
    ? { kind: 'cuda', name: 'CUDA GPU (tfjs-node-gpu)', count: 1 }
    : { kind: 'cpu', name: cpuName(), count: 1 };
  return {
    engine: 'tensorflow',
    tfjsName: 'tensorflow',
    label: node.gpu ? 'tfjs-tensorflow-gpu' : 'tfjs-tensorflow',
    device,
    threads: cpus().length,
  };
}

async function startWasm(threads: number): Promise<StartedEngine> {
  tfWasm.setWasmPaths(wasmDir());
  tfWasm.setThreadsCount(threads);
  await select('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const label = simd ? 'tfjs-wasm' : 'tfjs-wasm (no simd)';
  return { engine: 'wasm', tfjsName: 'wasm', label, device: { kind: 'cpu', name: cpuName(), count: 1 }, threads: tfWasm.getThreadsCount() };
}

async function startCpu(): Promise<StartedEngine> {
  await select('cpu');
  return { engine: 'cpu', tfjsName: 'cpu', label: 'tfjs-cpu', device: { kind: 'cpu', name: cpuName(), count: 1 }, threads: 1 };
}

async function select(name: string): Promise<void> {
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    cause = e;
  }
  if (!ok || tf.getBackend() !== name) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    throw new Error(`the tfjs "${name}" engine failed to start${why}; try another engine (auto, wasm, cpu)`);
  }
}

/** The folder holding the .wasm binaries, with a trailing slash (tfjs joins file names onto it). */
function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

function cpuName(): string {
  return cpus()[0]?.model.trim() ?? 'unknown CPU';
}
