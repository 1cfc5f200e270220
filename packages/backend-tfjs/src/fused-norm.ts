// Layer norm and RMS norm over the last axis as single tfjs ops with hand-written backward passes.
// Not the reference compositions (core's fused-reference.ts), which conformance checks these against.

import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';

/** Sums dy·x over every axis but the last: the gradient of a [C] weight broadcast over [..., C]. */
function sumToLast(t: tf.Tensor): tf.Tensor {
  return tf.sum(tf.reshape(t, [-1, t.shape.at(-1)!]), 0); // (C)
}

function layerNormForward(x: tf.Tensor, eps: number): { xhat: tf.Tensor; rstd: tf.Tensor } {
  const mean = tf.mean(x, -1, true); // (..., 1)
  const centered = tf.sub(x, mean); // (..., C)
  const variance = tf.mean(tf.square(centered), -1, true); // (..., 1)
  const rstd = tf.rsqrt(tf.add(variance, eps)); // (..., 1)
  return { xhat: tf.mul(centered, rstd), rstd };
}

/** dx of y = xhat·w (+ b) given g = dy·w: rstd · (g - mean(g) - xhat · mean(g·xhat)). */
function layerNormDx(g: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor): tf.Tensor {
  const meanG = tf.mean(g, -1, true);
  const meanGx = tf.mean(tf.mul(g, xhat), -1, true);
  return tf.mul(tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGx)), rstd);
}

export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null, eps: number): tf.Tensor {
  return bias ? layerNormWithBias(eps)(x, weight, bias) : layerNormNoBias(eps)(x, weight);
}

const layerNormWithBias = (eps: number) =>
  customOp(([x, w, b], save) => {
    const { xhat, rstd } = layerNormForward(x!, eps);
    save([xhat, rstd, w!]);
    return {
      value: tf.add(tf.mul(xhat, w!), b!), // (..., C)
      gradFunc: (dy, [xh, rs, wt]) => [layerNormDx(tf.mul(dy, wt!), xh!, rs!), sumToLast(tf.mul(dy, xh!)), sumToLast(dy)],
    };
  });

const layerNormNoBias = (eps: number) =>
  customOp(([x, w], save) => {
    const { xhat, rstd } = layerNormForward(x!, eps);
    save([xhat, rstd, w!]);
    return {
      value: tf.mul(xhat, w!), // (..., C)
      gradFunc: (dy, [xh, rs, wt]) => [layerNormDx(tf.mul(dy, wt!), xh!, rs!), sumToLast(tf.mul(dy, xh!))],
    };
  });

export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return rmsNormOp(eps)(x, weight);
}

const rmsNormOp = (eps: number) =>
  customOp(([x, w], save) => {
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(x!), -1, true), eps)); // (..., 1)
    const xhat = tf.mul(x!, rstd); // (..., C)
    save([xhat, rstd, w!]);
    return {
      value: tf.mul(xhat, w!),
      gradFunc: (dy, [xh, rs, wt]) => {
        const g = tf.mul(dy, wt!); // (..., C)
        const dx = tf.mul(tf.sub(g, tf.mul(xh!, tf.mean(tf.mul(g, xh!), -1, true))), rs!); // rstd · (g - xhat · mean(g·xhat))
        return [dx, sumToLast(tf.mul(dy, xh!))];
      },
    };
  });
