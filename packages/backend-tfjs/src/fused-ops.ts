// The fused ops tfjs gives us directly or cheaply, each checked against core's reference by conformance.
// Not the required ops (required-ops.ts); adamw is left to core's reference composition.

import * as tf from '@tensorflow/tfjs-core';
import type { FusedOps } from '@hyperclone/core';
import { customOp } from './custom-op.js';
import { attention, type PlainMatMul } from './fused-attention.js';
import { crossEntropy } from './fused-cross-entropy.js';
import { layerNorm, rmsNorm } from './fused-norm.js';
import { unwrap, wrap } from './required-ops.js';

export function tfjsFusedOps(matMul: PlainMatMul): Partial<FusedOps> {
  return {
    softmax: (x) => wrap(tf.softmax(unwrap(x), -1)),
    logSoftmax: (x) => wrap(tf.logSoftmax(unwrap(x), -1)),
    gelu: (x) => wrap(gelu(unwrap(x))),
    silu: (x) => wrap(silu(unwrap(x))),
    layerNorm: (x, w, b, eps) => wrap(layerNorm(unwrap(x), unwrap(w), b ? unwrap(b) : null, eps)),
    rmsNorm: (x, w, eps) => wrap(rmsNorm(unwrap(x), unwrap(w), eps)),
    attention: (q, k, v, o) => wrap(attention(unwrap(q), unwrap(k), unwrap(v), o, matMul)),
    crossEntropy: (logits, targets, ignoreIndex) => wrap(crossEntropy(unwrap(logits), unwrap(targets), ignoreIndex)),
  };
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** GPT-2's tanh GELU: 0.5·x·(1 + t), t = tanh(c·(x + a·x³)); d/dx = 0.5·(1 + t) + 0.5·x·(1 - t²)·c·(1 + 3a·x²). */
const gelu = customOp(([x], save) => {
  const t = tf.tanh(tf.mul(tf.add(x!, tf.mul(tf.mul(tf.square(x!), x!), GELU_A)), GELU_C));
  save([x!, t]);
  return {
    value: tf.mul(tf.mul(x!, 0.5), tf.add(t, 1)),
    gradFunc: (dy, [xs, ts]) => {
      const inner = tf.mul(tf.add(tf.mul(tf.square(xs!), 3 * GELU_A), 1), GELU_C); // c·(1 + 3a·x²)
      const outer = tf.mul(tf.mul(xs!, 0.5), tf.sub(1, tf.square(ts!))); // 0.5·x·(1 - t²)
      return [tf.mul(dy, tf.add(tf.mul(tf.add(ts!, 1), 0.5), tf.mul(outer, inner)))];
    },
  };
});

/** x·σ(x); d/dx = σ(x)·(1 + x·(1 - σ(x))). */
const silu = customOp(([x], save) => {
  const s = tf.sigmoid(x!);
  save([x!, s]);
  return {
    value: tf.mul(x!, s),
    gradFunc: (dy, [xs, ss]) => [tf.mul(dy, tf.mul(ss!, tf.add(1, tf.mul(xs!, tf.sub(1, ss!)))))],
  };
});
