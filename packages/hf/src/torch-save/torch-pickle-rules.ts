// What a torch.save state dict's pickle may hold: storage types, the tensor-rebuilding calls and OrderedDict, taken as
// plain descriptions (TensorRef, StorageRef). Not the decoder (restricted-unpickler.ts) and not the files' layout.

import { PyDict, PyGlobal, PyTuple, RefusedPickleError, describePy, type UnpickleRules } from './restricted-unpickler.js';

/** The dtypes of torch's legacy storage types, as safetensors names them. */
export type TorchDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const STORAGE_TYPES: ReadonlyMap<string, { dtype: TorchDtype; elementBytes: number }> = new Map([
  ['torch.DoubleStorage', { dtype: 'F64', elementBytes: 8 }],
  ['torch.FloatStorage', { dtype: 'F32', elementBytes: 4 }],
  ['torch.HalfStorage', { dtype: 'F16', elementBytes: 2 }],
  ['torch.BFloat16Storage', { dtype: 'BF16', elementBytes: 2 }],
  ['torch.LongStorage', { dtype: 'I64', elementBytes: 8 }],
  ['torch.IntStorage', { dtype: 'I32', elementBytes: 4 }],
  ['torch.ShortStorage', { dtype: 'I16', elementBytes: 2 }],
  ['torch.CharStorage', { dtype: 'I8', elementBytes: 1 }],
  ['torch.ByteStorage', { dtype: 'U8', elementBytes: 1 }],
  ['torch.BoolStorage', { dtype: 'BOOL', elementBytes: 1 }],
]);

/** A storage a persistent id names: its key in the file, element type and length in elements. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly elementBytes: number,
    readonly numel: number,
  ) {}
}

/** A tensor as torch rebuilds it: a view of a storage from `offset` (elements) with `shape` and `stride`. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';
const ORDERED_DICT = 'collections.OrderedDict';

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function indices(v: unknown, what: string): number[] {
  if (!(v instanceof PyTuple) || !v.items.every(isIndex))
    throw new RefusedPickleError(`a tensor's ${what} is ${describePy(v)}, not a tuple of sizes`);
  return [...(v.items as number[])];
}

/** _rebuild_tensor(_v2)'s (storage, storage_offset, size, stride, ...): checked to stay inside its storage. */
function tensorRef(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new RefusedPickleError(`a tensor is rebuilt from ${describePy(storage)}, not a storage`);
  if (!isIndex(offset)) throw new RefusedPickleError(`a tensor's storage offset is ${String(offset)}`);
  const ref = new TensorRef(storage, offset, indices(size, 'size'), indices(stride, 'stride'));
  if (ref.shape.length !== ref.stride.length)
    throw new RefusedPickleError(`a tensor has ${ref.shape.length} sizes but ${ref.stride.length} strides`);
  if (ref.shape.every((d) => d > 0)) {
    const last = ref.offset + ref.shape.reduce((sum, d, i) => sum + (d - 1) * ref.stride[i]!, 0);
    if (last >= ref.storage.numel)
      throw new RefusedPickleError(
        `a tensor [${ref.shape.join(', ')}] at offset ${offset} with strides [${ref.stride.join(', ')}] reads element ${last} ` +
          `of storage ${ref.storage.key}, which has ${ref.storage.numel}`,
      );
  }
  return ref;
}

function hooksEmpty(hooks: unknown): void {
  if (!(hooks instanceof PyDict) || hooks.entries.size > 0) throw new RefusedPickleError('a tensor carries backward hooks');
}

/**
 * The calls a state dict's pickle makes, each building a plain value: OrderedDict(), tensors from storages,
 * parameters as their tensors. `storage` turns a persistent id into a StorageRef (its layout differs by format).
 */
export function stateDictRules(storage: (pid: PyTuple) => StorageRef): UnpickleRules {
  const calls = new Map<string, (args: readonly unknown[]) => unknown>([
    [
      ORDERED_DICT,
      (args) => {
        if (args.length > 0) throw new RefusedPickleError(`${ORDERED_DICT} is called with arguments`);
        return new PyDict();
      },
    ],
    [
      REBUILD_TENSOR_V2,
      (args) => {
        if (args.length < 6 || args.length > 7)
          throw new RefusedPickleError(`${REBUILD_TENSOR_V2} is called with ${args.length} arguments`);
        hooksEmpty(args[5]);
        return tensorRef(args);
      },
    ],
    [
      REBUILD_TENSOR,
      (args) => {
        if (args.length !== 4) throw new RefusedPickleError(`${REBUILD_TENSOR} is called with ${args.length} arguments`);
        return tensorRef(args);
      },
    ],
    [
      REBUILD_PARAMETER,
      (args) => {
        if (args.length !== 3) throw new RefusedPickleError(`${REBUILD_PARAMETER} is called with ${args.length} arguments`);
        hooksEmpty(args[2]);
        return args[0];
      },
    ],
    [
      REBUILD_PARAMETER_WITH_STATE,
      (args) => {
        if (args.length !== 4) throw new RefusedPickleError(`${REBUILD_PARAMETER_WITH_STATE} is called with ${args.length} arguments`);
        hooksEmpty(args[2]);
        return args[0];
      },
    ],
  ]);
  return {
    calls,
    references: new Set(STORAGE_TYPES.keys()),
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage')
        throw new RefusedPickleError(`its pickle refers to ${describePy(pid)} outside itself; only storages may be`);
      return storage(pid);
    },
    allowed: `${ORDERED_DICT}, ${[REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE].join(', ')} and torch's storage types`,
  };
}

/** A persistent id's storage type and element count, checked: ('storage', torch.XStorage, key, location, numel, ...). */
export function storageOf(pid: PyTuple, key: unknown, numel: unknown): StorageRef {
  const type = pid.items[1];
  const kind = type instanceof PyGlobal ? STORAGE_TYPES.get(type.fullName) : undefined;
  if (!kind) throw new RefusedPickleError(`a storage of type ${describePy(type)}, which is not one of torch's storage types`);
  if (typeof key !== 'string') throw new RefusedPickleError(`a storage key is ${describePy(key)}, not a string`);
  if (!isIndex(numel)) throw new RefusedPickleError(`storage ${key} has ${String(numel)} elements`);
  return new StorageRef(key, kind.dtype, kind.elementBytes, numel);
}

/** Rules for pickles that hold plain values only (the legacy format's header and key list). */
export const PLAIN_RULES: UnpickleRules = {
  calls: new Map(),
  references: new Set(),
  persistentLoad: () => {
    throw new RefusedPickleError('its header refers to a storage');
  },
  allowed: 'no globals in this part of the file',
};

/** The state dict's tensors by name, in file order; anything else in the dict is refused by name. */
export function tensorsOf(value: unknown): Map<string, TensorRef> {
  if (!(value instanceof PyDict)) throw new RefusedPickleError(`it holds ${describePy(value)}, not a state dict`);
  const out = new Map<string, TensorRef>();
  for (const [k, v] of value.entries) {
    if (typeof k !== 'string') throw new RefusedPickleError(`its state dict has a key ${describePy(k)}, not a string`);
    if (!(v instanceof TensorRef)) throw new RefusedPickleError(`its state dict holds ${describePy(v)} under "${k}", not a tensor`);
    out.set(k, v);
  }
  return out;
}
