// createTfjsBackend: the Backend interface of @hyperclone/core on TensorFlow.js.
// Not the op table (required-ops.ts, fused-ops.ts) and not engine loading (engine-select.ts).

import * as tf from '@tensorflow/tfjs-core';
import type { Backend, DeviceInfo, FusedOps, Tensor, TensorContainer } from '@hyperclone/core';
import { startEngine, type TfjsBackendOptions, type TfjsEngine } from './engine-select.js';
import { tfjsFusedOps } from './fused-ops.js';
import { plainMatMul } from './explicit-matmul.js';
import { ensureGradients } from './register-gradients.js';
import { requiredOps, unwrap, wrap } from './required-ops.js';

/** A Backend on tfjs, plus what it found out about its engine. */
export interface TfjsBackend extends Backend {
  readonly tfjsEngine: TfjsEngine;
  /** Threads the engine computes with (1 for wasm under Node.js). */
  readonly threads: number;
}

/**
 * tfjs runs one global engine per process. Every backend made here re-selects its own engine before
 * each op (a no-op while it is already selected), so backends on different engines can coexist;
 * tfjs moves a tensor's data between engines when an op on another engine first reads it.
 */
let openBackends = 0;

export async function createTfjsBackend(options: TfjsBackendOptions = {}): Promise<TfjsBackend> {
  const started = await startEngine(options);
  ensureGradients();
  openBackends++;
  let closed = false;
  const activate = (): void => {
    if (closed) throw new Error(`this tfjs backend (${started.label}) is closed; make a new one with createTfjsBackend()`);
    if (tf.getBackend() !== started.tfjsName) reselect(started.tfjsName);
  };

  const wasm = started.engine === 'wasm';
  const ops = guard(requiredOps({ copyHostData: started.engine === 'cpu', explicitTransposes: wasm }), activate);
  const fused: Partial<FusedOps> = guard(tfjsFusedOps(wasm ? plainMatMul : tf.matMul), activate);
  const device: DeviceInfo = { ...started.device };

  const backend: TfjsBackend = {
    ...ops,
    name: 'tfjs',
    engine: started.label,
    device,
    fused,
    tfjsEngine: started.engine,
    threads: started.threads,

    tidy<R extends TensorContainer>(fn: () => R): R {
      activate();
      return tf.tidy(fn as () => tf.TensorContainer) as unknown as R;
    },
    keep: <T extends Tensor>(t: T): T => tf.keep(unwrap(t)) as unknown as T,
    dispose: (t) => tf.dispose(t as unknown as tf.TensorContainer),
    liveTensors: () => tf.memory().numTensors,

    valueAndGrad(f, xs) {
      activate();
      return valueAndGrad(f, xs);
    },

    sync() {
      // tfjs ops on cpu, wasm and tensorflow finish before they return; dataSync is where waiting happens
    },

    close() {
      if (closed) return;
      closed = true;
      openBackends--;
      // the last one out frees every tensor and engine tfjs holds; a later createTfjsBackend starts afresh
      if (openBackends === 0) tf.engine().reset();
    },
  };
  return backend;
}

function valueAndGrad(f: (xs: Tensor[]) => Tensor, xs: Tensor[]): { value: Tensor; grads: Tensor[] } {
  if (xs.length === 0) return { value: f([]), grads: [] };
  const inputs = xs.map(unwrap);
  const { value, grads } = tf.engine().gradients(
    () => {
      const y = unwrap(f(xs));
      if (y.size !== 1) throw new Error(`valueAndGrad needs f to return a scalar (got shape [${y.shape.join(', ')}])`);
      return y;
    },
    inputs,
    undefined,
    true,
  );
  // an input f never used has no gradient in tfjs: its gradient is zero
  const full = inputs.map((x, i) => grads[i] ?? tf.zerosLike(x));
  return { value: wrap(value), grads: full.map(wrap) };
}

/** Switches the global tfjs engine back to ours. setBackend finishes synchronously for an engine already started. */
function reselect(name: string): void {
  void tf.setBackend(name);
  if (tf.getBackend() !== name) {
    throw new Error(`could not switch tfjs back to its "${name}" engine; use one tfjs engine per process`);
  }
}

/** The same object with `before` run ahead of every function in it. */
function guard<T extends object>(ops: T, before: () => void): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ops)) {
    out[key] =
      typeof value === 'function'
        ? (...args: unknown[]): unknown => {
            before();
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value;
  }
  return out as T;
}
