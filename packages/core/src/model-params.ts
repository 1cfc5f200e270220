// Moving a state dict onto a backend and back, in parameter-spec order.
// Not an optimizer or a checkpoint: just the host <-> device crossing for whole models.

import type { Backend, Tensor } from './backend.js';
import type { ModelConfig } from './config.js';
import type { StateDict } from './host-tensor.js';
import type { Params } from './model.js';
import { paramSpec } from './param-spec.js';

/** Uploads every parameter; the tensors are kept (outside any tidy) until the caller disposes them. */
export function uploadParams(b: Backend, config: ModelConfig, weights: StateDict): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const s of paramSpec(config)) {
    const t = weights.get(s.name);
    if (!t) throw new Error(`missing parameter "${s.name}"`);
    out[s.name] = b.keep(b.fromHost(t));
  }
  return out;
}

export function downloadParams(b: Backend, config: ModelConfig, params: Params): StateDict {
  return new Map(paramSpec(config).map((s) => [s.name, b.toHost(params[s.name]!)]));
}

export function disposeParams(b: Backend, params: Params): void {
  for (const t of Object.values(params)) b.dispose(t);
}
