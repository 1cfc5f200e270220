// Matmul for the wasm engine, whose BatchMatMul kernel is slower with transposeA/transposeB than without
// (docs/backend-tfjs.md has the measurement): transposes are done explicitly, on whichever tensors are
// smallest. Not used on other engines.

import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';

/** Swaps the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  return tf.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
}

/**
 * op(a)·op(b) with only untransposed kernel calls. Either transpose the inputs that need it, or use
 * op(a)·op(b) = (op(b)ᵀ·op(a)ᵀ)ᵀ, which transposes the other inputs and the result; pick fewer values moved.
 */
export function plainMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (!transposeA && !transposeB) return tf.matMul(a, b);
  const direct = (transposeA ? a.size : 0) + (transposeB ? b.size : 0);
  const rowsA = a.size / a.shape.at(transposeA ? -2 : -1)!; // batch·M
  const colsB = b.size / b.shape.at(transposeB ? -1 : -2)!; // batch·N
  const outSize = (rowsA * colsB) / batchSize(a); // batch·M·N
  const flipped = (transposeA ? 0 : a.size) + (transposeB ? 0 : b.size) + outSize;
  if (direct <= flipped) return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
  return swapLast(tf.matMul(transposeB ? b : swapLast(b), transposeA ? a : swapLast(a)));
}

function batchSize(x: tf.Tensor): number {
  return x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

/**
 * C = op(a)·op(b) with a backward pass made of plainMatMul too (tfjs's own BatchMatMul gradient
 * would call the slow transposed kernel). With A = op(a), B = op(b): dA = dC·Bᵀ, dB = Aᵀ·dC.
 */
export function explicitMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2) return tf.matMul(a, b, transposeA, transposeB); // broadcast batches: leave to tfjs
  return matMulOp(transposeA, transposeB)(a, b);
}

const matMulOp = (tA: boolean, tB: boolean) =>
  customOp(([a, b], save) => {
    save([a!, b!]);
    return {
      value: plainMatMul(a!, b!, tA, tB),
      gradFunc: (dC, [x, y]) => [
        tA ? plainMatMul(y!, dC, tB, true) : plainMatMul(dC, y!, false, !tB), // da = (dC·Bᵀ)ᵀ if tA, else dC·Bᵀ
        tB ? plainMatMul(dC, x!, true, tA) : plainMatMul(x!, dC, !tA, false), // db = (Aᵀ·dC)ᵀ if tB, else Aᵀ·dC
      ],
    };
  });
