// Walks a TensorContainer (tensors nested in arrays and plain objects) to collect torch tensor ids.
// Not a deep clone or serializer: non-tensor leaves (numbers, strings) are skipped.

import type { TensorContainer } from '@hyperclone/core';
import { TorchTensor } from './torch-tensor.js';

export function collectIds(container: TensorContainer, out: number[] = []): number[] {
  if (container instanceof TorchTensor) {
    out.push(container.id);
  } else if (Array.isArray(container)) {
    for (const item of container) collectIds(item, out);
  } else if (container !== null && typeof container === 'object') {
    for (const value of Object.values(container)) collectIds(value as TensorContainer, out);
  }
  return out;
}
