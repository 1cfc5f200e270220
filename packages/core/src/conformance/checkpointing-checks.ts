// Conformance of activation checkpointing on a backend: the loss and every gradient of a tiny model with
// blocks, every-2 and every-5 recomputed equal those without checkpointing bit for bit (dropout on), and
// nothing leaks. Not a memory measurement (benchmarks/activation-checkpointing.ts measures the peak).

import type { Backend } from '../backend.js';
import { lossAndGradients } from '../activation-checkpointing.js';
import type { ModelConfig } from '../config.js';
import { int32 } from '../host-tensor.js';
import { fail, type ConformanceCheck } from './assert.js';
import { conformanceWeights, TINY_GPT, TINY_LLAMA, TINY_NEOX, TINY_OPT } from './model-checks.js';

const B = 2;
const T = 6;
const TOKENS = int32([B, T], [1, 5, 2, 9, 0, 3, 7, 7, 4, 10, 6, 1]);
const TARGETS = int32([B, T], [5, 2, 9, 0, 3, 8, 7, 4, 10, 6, 1, -1]);

/** Every float's bits: equal arrays of these mean the same float32 values, NaN and -0 included. */
function bits(data: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(Float32Array.from(data).buffer));
}

function sameBitsCheck(label: string, base: ModelConfig): ConformanceCheck {
  // three blocks, so every-2 leaves a segment of one; dropout on, so the recomputed masks must repeat
  const config = { ...base, nLayer: 3, dropout: 0.2 };
  return {
    name: `activation checkpointing (blocks, every-2, every-5) gives the same loss and gradient bits as none: tiny ${label}`,
    run: (b: Backend) => {
      const weights = conformanceWeights(config);
      const names = [...weights.keys()];
      const params = Object.fromEntries(names.map((n) => [n, b.keep(b.fromHost(weights.get(n)!))]));
      const tokens = b.keep(b.fromHost(TOKENS));
      const targets = b.keep(b.fromHost(TARGETS));
      const run = (every: number) =>
        b.tidy(() => {
          const { value, grads } = lossAndGradients(b, config, params, names, tokens, targets, { train: true, dropoutSeed: 7, every });
          return [bits(b.toHost(value).data), ...grads.map((g) => bits(b.toHost(g).data))];
        });
      try {
        const live = b.liveTensors();
        const none = run(0);
        for (const every of [1, 2, 5]) {
          const got = run(every);
          if (b.liveTensors() !== live) fail(`every-${every} left ${b.liveTensors() - live} live tensors behind`);
          got.forEach((x, i) => {
            const what = i === 0 ? 'the loss' : `the gradient of ${names[i - 1]}`;
            const at = x.findIndex((v, k) => v !== none[i]![k]);
            if (x.length !== none[i]!.length || at >= 0) {
              const value = (u: number | undefined) => new Float32Array(Uint32Array.of(u ?? 0).buffer)[0];
              fail(`every-${every}: ${what} differs from none at element ${at}: ${value(x[at])} vs ${value(none[i]![at])}`);
            }
          });
        }
      } finally {
        b.dispose([...Object.values(params), tokens, targets]);
      }
    },
  };
}

export function checkpointingChecks(): ConformanceCheck[] {
  return [
    sameBitsCheck('GPT (tied, learned positions)', TINY_GPT),
    sameBitsCheck('Llama (rope, swiglu, GQA, untied)', TINY_LLAMA),
    sameBitsCheck('GPT-NeoX (parallel residual)', TINY_NEOX),
    sameBitsCheck('OPT-like (position offset, MQA, tied)', TINY_OPT),
  ];
}
