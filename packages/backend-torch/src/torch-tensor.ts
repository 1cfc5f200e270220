// A tensor handle of the torch backend: an integer id into its Engine's table, plus a cached shape.
// Not the data: the tensor lives in libtorch until disposed (explicitly or by a tidy scope).

import type { Tensor } from '@hyperclone/core';

export class TorchTensor {
  constructor(
    readonly id: number,
    public shapeCache: number[] | null = null,
  ) {}
}

export function wrap(id: number, shape: number[] | null = null): Tensor {
  return new TorchTensor(id, shape) as unknown as Tensor;
}

export function idOf(t: Tensor): number {
  if (!(t instanceof TorchTensor)) throw new Error('this tensor does not belong to a torch backend (mixing backends is not supported)');
  return t.id;
}
