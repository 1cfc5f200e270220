// A typed wrapper over tf.customGrad: an op with a hand-written gradient, over plain tensor inputs.
// Not an op itself: required-ops.ts and fused-ops.ts define theirs with it.

import * as tf from '@tensorflow/tfjs-core';

export interface CustomOpResult {
  value: tf.Tensor;
  /**
   * One gradient per input, in input order, each shaped like its input. Tensors made in the forward
   * (inputs included) are freed before backprop runs unless they were passed to `save`: read them
   * from `saved`, never from the forward's closure.
   */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

type Forward = (inputs: tf.Tensor[], save: (tensors: tf.Tensor[]) => void) => CustomOpResult;

/** An op whose backward is `gradFunc` instead of tfjs's tape of the forward's ops. */
export function customOp(forward: Forward): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (tensors: tf.Tensor[]) => void;
    const result = forward(args as tf.Tensor[], save);
    return { value: result.value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => result.gradFunc(dy, saved) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (...inputs) => op(...inputs);
}
