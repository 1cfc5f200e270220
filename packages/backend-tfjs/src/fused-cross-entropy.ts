// Mean softmax cross-entropy with an ignore index as one tfjs op; backward is (softmax - onehot)·valid / count.
// Not the model loss wrapper (core's crossEntropyLoss reshapes (B, T, V) to (N, V) and calls this).

import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';

export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex: number): tf.Tensor {
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy needs int32 targets (got ${targets.dtype}); cast them first`);
  return crossEntropyOp(ignoreIndex)(logits, targets);
}

const crossEntropyOp = (ignoreIndex: number) =>
  customOp(([logits, targets], save) => {
    const V = logits!.shape[1]!;
    const logProbs = tf.logSoftmax(logits!, -1); // (N, V)
    const onehot = tf.cast(tf.oneHot(targets!, V), 'float32'); // (N, V); int32 first: wasm's float32 OneHot is wrong
    const valid = tf.sub(1, tf.cast(tf.equal(targets!, tf.scalar(ignoreIndex, 'int32')), 'float32')); // (N)
    const count = tf.sum(valid); // ()
    const picked = tf.sum(tf.mul(logProbs, onehot), -1); // (N)
    save([logProbs, onehot, valid, count, targets!]);
    return {
      value: tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), count), // ()
      gradFunc: (dy, [lp, oh, val, n, tg]) => {
        const weight = tf.reshape(tf.div(tf.mul(val!, dy), n!), [-1, 1]); // (N, 1)
        return [tf.mul(tf.sub(tf.exp(lp!), oh!), weight), tf.zerosLike(tg!)];
      },
    };
  });
