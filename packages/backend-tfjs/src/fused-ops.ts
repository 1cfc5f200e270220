// The fused ops tfjs gives us directly or cheaply, each checked against core's reference by conformance.
// Not the required ops (required-ops.ts); ops missing here fall back to core's reference compositions.

import * as tf from '@tensorflow/tfjs-core';
import type { FusedOps } from '@hyperclone/core';
import { unwrap, wrap } from './required-ops.js';

export function tfjsFusedOps(): Partial<FusedOps> {
  return {
    softmax: (x) => wrap(tf.softmax(unwrap(x), -1)),
    logSoftmax: (x) => wrap(tf.logSoftmax(unwrap(x), -1)),
  };
}
