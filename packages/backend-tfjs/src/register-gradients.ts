// Makes sure tfjs has its gradients registered, loading the vendored tfjs-core gradient bundle if not.
// Not gradients of our own: those few live next to their ops (custom-op.ts users).

import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

let checked = false;

/**
 * tfjs-core's Node entry registers no gradients; the @tensorflow/tfjs union package (which
 * tfjs-node loads) does. Without either, tf.grads fails on the first op. The bundle sits at
 * <package>/vendor, one folder above both src/ and dist/.
 */
export function ensureGradients(): void {
  if (checked) return;
  checked = true;
  if (tf.getGradient('Add') != null) return;
  const require = createRequire(import.meta.url);
  const bundle = require('../vendor/tfjs-core-gradients.cjs') as { TFJS_CORE_VERSION: string };
  if (bundle.TFJS_CORE_VERSION !== tf.version_core) {
    throw new Error(
      `vendor/tfjs-core-gradients.cjs was built from @tensorflow/tfjs-core ${bundle.TFJS_CORE_VERSION} but ` +
        `${tf.version_core} is installed; regenerate it: node packages/backend-tfjs/scripts/bundle-gradients.mjs`,
    );
  }
}
