// The required Backend ops on tfjs-core ops, one line each where tfjs has the op.
// Not engine selection (engine-select.ts), not memory or autograd (tfjs-backend.ts), not fused ops.

import * as tf from '@tensorflow/tfjs-core';
import type { DType, HostTensor, RequiredOps, Tensor } from '@hyperclone/core';
import { hostTensor } from '@hyperclone/core';
import { customOp } from './custom-op.js';
import { explicitMatMul } from './explicit-matmul.js';

/** Our opaque handle <-> the tfjs tensor it is. */
export const unwrap = (t: Tensor): tf.Tensor => t as unknown as tf.Tensor;
export const wrap = (t: tf.Tensor): Tensor => t as unknown as Tensor;

export interface RequiredOpsOptions {
  /** The tfjs cpu engine keeps (and hands back) the very typed array it was given: copy there. */
  copyHostData: boolean;
  /** The wasm engine's transposed matmul is slow: transpose explicitly (explicit-matmul.ts). */
  explicitTransposes: boolean;
}

export function requiredOps({ copyHostData, explicitTransposes }: RequiredOpsOptions): RequiredOps {
  const matMul = explicitTransposes ? explicitMatMul : tf.matMul;
  const binary = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: Tensor, b: Tensor) => wrap(f(unwrap(a), unwrap(b)));
  const unary = (f: (x: tf.Tensor) => tf.Tensor) => (x: Tensor) => wrap(f(unwrap(x)));
  return {
    fromHost: (h) => wrap(tf.tensor(copyHostData ? h.data.slice() : h.data, [...h.shape], h.dtype)),
    toHost: (t) => toHost(unwrap(t), copyHostData),
    shape: (t) => [...unwrap(t).shape],
    dtype: (t) => (unwrap(t).dtype === 'float32' ? 'float32' : 'int32'),
    scalar: (value) => wrap(tf.scalar(value, 'float32')),

    add: binary(tf.add),
    sub: binary(tf.sub),
    mul: binary(tf.mul),
    div: binary(tf.div),
    neg: unary(tf.neg),
    exp: unary(tf.exp),
    log: unary(tf.log),
    sqrt: unary(tf.sqrt),
    tanh: unary(tf.tanh),
    sigmoid: unary(tf.sigmoid),
    erf: unary(tf.erf),
    relu: unary(tf.relu),
    equal: binary(equalFloat),
    cast: (x, dtype: DType) => wrap(tf.cast(unwrap(x), dtype)),

    sum: (x, axis, keepDims = false) => wrap(tf.sum(unwrap(x), axis, keepDims)),
    max: (x, axis, keepDims = false) => wrap(tf.max(unwrap(x), axis, keepDims)),
    argmax: (x, axis) => wrap(tf.argMax(unwrap(x), axis)),

    reshape: (x, shape) => wrap(tf.reshape(unwrap(x), shape)),
    transpose: (x, perm) => wrap(tf.transpose(unwrap(x), perm)),
    slice: (x, begin, size) => wrap(tf.slice(unwrap(x), begin, size)),
    concat: (xs, axis) => wrap(tf.concat(xs.map(unwrap), axis)),

    gather: (table, indices) => wrap(gatherRows(unwrap(table), unwrap(indices))),
    // int32 then cast: the wasm engine's OneHot writes int32 bit patterns into float32 outputs
    oneHot: (indices, depth) => wrap(tf.cast(tf.oneHot(unwrap(indices), depth), 'float32')),

    matmul: (a, b, transposeA = false, transposeB = false) => wrap(matMul(unwrap(a), unwrap(b), transposeA, transposeB)),

    dropout: (x, rate, seed) => wrap(tf.dropout(unwrap(x), rate, undefined, seed)),
  };
}

function toHost(t: tf.Tensor, copy: boolean): HostTensor {
  const values = t.dataSync();
  if (t.dtype === 'float32') {
    const data = values as Float32Array;
    return hostTensor(t.shape, copy ? data.slice() : data);
  }
  // int32 (and bool, which never leaves this package): Int32Array.from always copies
  return hostTensor(t.shape, values instanceof Int32Array && !copy ? values : Int32Array.from(values as ArrayLike<number>));
}

/**
 * 1.0 where a == b. tfjs registers no gradient for Equal, so a float input on the tape would make
 * backprop throw; the derivative is 0 almost everywhere, which is what this says.
 */
const equalFloat = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  a.dtype !== 'float32' && b.dtype !== 'float32' ? tf.cast(tf.equal(a, b), 'float32') : equalZeroGrad(a, b);

const equalZeroGrad = customOp(([x, y]) => {
  const shapeX = x!.shape;
  const shapeY = y!.shape;
  return {
    value: tf.cast(tf.equal(x!, y!), 'float32'),
    gradFunc: () => [tf.zeros(shapeX), tf.zeros(shapeY)],
  };
});

/**
 * Rows of table [N, C] at int32 indices [...S] -> [...S, C]. The gradient scatter-adds dy into
 * [N, C] with scatterND (duplicates sum), because tfjs's own gather gradient needs the
 * UnsortedSegmentSum kernel, which the wasm engine lacks.
 */
function gatherRows(table: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  if (table.rank !== 2) throw new Error(`gather needs a 2-D table [N, C] (got shape [${table.shape.join(', ')}])`);
  if (indices.dtype !== 'int32') throw new Error(`gather needs int32 indices (got ${indices.dtype}); cast them first`);
  return gatherScatterGrad(table, indices);
}

const gatherScatterGrad = customOp(([table, indices], save) => {
  const [N, C] = table!.shape as [number, number];
  save([indices!]);
  return {
    value: tf.gather(table!, indices!), // (...S, C)
    gradFunc: (dy, [idx]) => {
      const rows = tf.reshape(idx!, [-1, 1]); // (M, 1)
      const updates = tf.reshape(dy, [-1, C]); // (M, C)
      return [tf.scatterND(rows, updates, [N, C]), tf.zerosLike(idx!)]; // (N, C), (...S)
    },
  };
});
