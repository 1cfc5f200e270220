// Memory scopes and autograd of the torch Backend: tidy/keep/dispose over the native table's scopes, and
// valueAndGrad as leaf aliases + one libtorch backward pass. Not the ops (required-ops.ts, fused-ops.ts).

import type { Backend, Tensor, TensorContainer } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { collectIds } from './containers.js';
import { shapeOf } from './required-ops.js';
import { idOf as id, wrap } from './torch-tensor.js';

type MemoryOps = Pick<Backend, 'tidy' | 'keep' | 'dispose' | 'liveTensors' | 'valueAndGrad'>;

export function memoryOps(e: NativeEngine): MemoryOps {
  const shape = shapeOf(e);
  return {
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
      e.endScope(collectIds(result)); // what fn returns moves to the enclosing scope
      return result;
    },
    keep<T extends Tensor>(t: T): T {
      e.keep(id(t));
      return t;
    },
    dispose: (container) => e.dispose(collectIds(container)),
    liveTensors: () => e.live(),

    valueAndGrad(f, xs) {
      e.beginScope();
      let keepIds: number[] = [];
      try {
        const leafIds = e.gradLeaves(xs.map(id)); // detached aliases that require grad: no copies
        const value = f(leafIds.map((leaf, i) => wrap(leaf, shape(xs[i]!))));
        keepIds = e.gradients(id(value), leafIds); // [value, ...grads]; the graph is freed here
        return { value: wrap(keepIds[0]!), grads: keepIds.slice(1).map((g, i) => wrap(g, shape(xs[i]!))) };
      } finally {
        e.endScope(keepIds); // frees the leaves and every intermediate f made
      }
    },
  };
}
