// Host tensors: plain typed arrays with a shape, the currency between packages and files.
// Not a compute engine: math on these is for tests, init and cloning, never for training.

export type DType = 'float32' | 'int32';

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/** Named parameters in spec order. A Map keeps insertion order, which is the spec's order. */
export type StateDict = Map<string, HostTensor>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostTensor(shape: readonly number[], data: Float32Array | Int32Array): HostTensor {
  const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
  if (numel(shape) !== data.length) {
    throw new Error(`shape [${shape.join(', ')}] holds ${numel(shape)} values but the data has ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

export function zeros(shape: readonly number[]): HostTensor {
  return hostTensor(shape, new Float32Array(numel(shape)));
}

export function fill(shape: readonly number[], value: number): HostTensor {
  return hostTensor(shape, new Float32Array(numel(shape)).fill(value));
}

export function int32(shape: readonly number[], values: ArrayLike<number>): HostTensor {
  return hostTensor(shape, Int32Array.from(values));
}

export function float32(shape: readonly number[], values: ArrayLike<number>): HostTensor {
  return hostTensor(shape, Float32Array.from(values));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Largest absolute elementwise difference; throws if the shapes differ. */
export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`cannot compare shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
