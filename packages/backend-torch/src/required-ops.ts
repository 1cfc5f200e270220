// The Backend's required ops on a native Engine: each one call into libtorch, tensors passed as ids.
// Not memory scopes or autograd (memory.ts) and not the fused ops (fused-ops.ts).

import type { DType, HostTensor, RequiredOps, Tensor } from '@hyperclone/core';
import { hostTensor } from '@hyperclone/core';
import type { NativeEngine } from './addon.js';
import { BINARY, DTYPE_CODE, UNARY } from './op-codes.js';
import { idOf as id, TorchTensor, wrap } from './torch-tensor.js';

const out = (newId: number): Tensor => wrap(newId);

export const unaryOp = (e: NativeEngine, code: number) => (x: Tensor) => out(e.unary(code, id(x)));
const binaryOp = (e: NativeEngine, code: number) => (a: Tensor, b: Tensor) => out(e.binary(code, id(a), id(b)));

/** Shape, asked of libtorch once per handle and cached on it. */
export function shapeOf(e: NativeEngine): (t: Tensor) => number[] {
  return (t) => {
    id(t); // throws the mixing-backends error for foreign handles
    const tt = t as unknown as TorchTensor;
    tt.shapeCache ??= e.shape(tt.id);
    return [...tt.shapeCache];
  };
}

export function requiredOps(e: NativeEngine): RequiredOps {
  const shape = shapeOf(e);
  return {
    fromHost: (t: HostTensor) => wrap(e.fromHost(t.data, t.shape), [...t.shape]),
    toHost: (t) => hostTensor(shape(t), e.toHost(id(t))),
    shape,
    dtype: (t): DType => (e.dtype(id(t)) === DTYPE_CODE.int32 ? 'int32' : 'float32'),
    scalar: (value) => wrap(e.scalar(value), []),

    add: binaryOp(e, BINARY.add),
    sub: binaryOp(e, BINARY.sub),
    mul: binaryOp(e, BINARY.mul),
    div: binaryOp(e, BINARY.div),
    equal: binaryOp(e, BINARY.equal),
    neg: unaryOp(e, UNARY.neg),
    exp: unaryOp(e, UNARY.exp),
    log: unaryOp(e, UNARY.log),
    sqrt: unaryOp(e, UNARY.sqrt),
    tanh: unaryOp(e, UNARY.tanh),
    sigmoid: unaryOp(e, UNARY.sigmoid),
    erf: unaryOp(e, UNARY.erf),
    relu: unaryOp(e, UNARY.relu),
    cast: (x, dtype) => out(e.cast(id(x), DTYPE_CODE[dtype])),

    sum: (x, axis, keepDims = false) => out(e.sum(id(x), Array.isArray(axis) ? axis : [axis], keepDims)),
    max: (x, axis, keepDims = false) => out(e.max(id(x), axis, keepDims)),
    argmax: (x, axis) => out(e.argmax(id(x), axis)),

    reshape: (x, newShape) => out(e.reshape(id(x), newShape)),
    transpose: (x, perm) => out(e.transpose(id(x), perm)),
    slice: (x, begin, size) => out(e.slice(id(x), begin, size)),
    concat: (xs, axis) => out(e.concat(xs.map(id), axis)),
    gather: (table, indices) => out(e.gather(id(table), id(indices))),
    oneHot: (indices, depth) => out(e.oneHot(id(indices), depth)),
    matmul: (a, b, transposeA = false, transposeB = false) => out(e.matmul(id(a), id(b), transposeA, transposeB)),
    dropout: (x, rate, seed) => out(e.dropout(id(x), rate, seed)),
  };
}
