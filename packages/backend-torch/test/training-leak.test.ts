// 1,000 training steps of a tiny GPT on torch (forward + valueAndGrad + AdamW) leave liveTensors where it began.
// Not a convergence study: the loss check only proves the steps really trained (memorizing one batch).

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  crossEntropyLoss,
  disposeParams,
  forward,
  hostTensor,
  paramSpec,
  resolveConfig,
  uploadParams,
  zeros,
  type AdamWHyper,
  type Tensor,
} from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { testBatch, testWeights } from './model-weights.js';
import { describeTorch } from './torch-ready.js';

const STEPS = 1000;
const B = 2;
const T = 16;

describeTorch('torch training steps do not leak', () => {
  let b: TorchBackend;
  beforeAll(async () => {
    b = await createTorchBackend({ device: 'cpu', threads: 1 });
  });
  afterAll(() => b.close());

  it(`${STEPS} steps (per-tensor adamw, then adamwAll) return liveTensors to its start value`, () => {
    const config = resolveConfig('tiny');
    const specs = paramSpec(config);
    const names = specs.map((s) => s.name);
    const start = b.liveTensors();
    const params = uploadParams(b, config, testWeights(config));
    const m = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
    const v = specs.map((s) => b.keep(b.fromHost(zeros(s.shape))));
    const batch = testBatch(config.vocabSize, B, T);
    const tokens = b.keep(b.fromHost(hostTensor([B, T], batch.tokens)));
    const targets = b.keep(b.fromHost(hostTensor([B, T], batch.targets)));
    const losses: number[] = [];
    const afterFirstStep: number[] = [];

    for (let step = 1; step <= STEPS; step++) {
      b.tidy(() => {
        const lossOf = (xs: Tensor[]): Tensor => {
          const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
          return crossEntropyLoss(b, forward(b, config, p, tokens).logits, targets);
        };
        const ps = names.map((n) => params[n]!);
        const { value, grads } = b.valueAndGrad(lossOf, ps);
        const hp = (i: number): AdamWHyper => ({
          lr: 3e-3,
          beta1: 0.9,
          beta2: 0.95,
          eps: 1e-8,
          weightDecay: specs[i]!.decay ? 0.1 : 0,
          step,
        });
        if (step <= STEPS / 2) {
          ps.forEach((p, i) => b.fused.adamw!(p, grads[i]!, m[i]!, v[i]!, hp(i))); // in place
        } else {
          b.adamwAll(
            ps.filter((_, i) => specs[i]!.decay),
            grads.filter((_, i) => specs[i]!.decay),
            m.filter((_, i) => specs[i]!.decay),
            v.filter((_, i) => specs[i]!.decay),
            hp(0),
          );
          b.adamwAll(
            ps.filter((_, i) => !specs[i]!.decay),
            grads.filter((_, i) => !specs[i]!.decay),
            m.filter((_, i) => !specs[i]!.decay),
            v.filter((_, i) => !specs[i]!.decay),
            { ...hp(0), weightDecay: 0 },
          );
        }
        if (step === 1 || step % 100 === 0) losses.push(b.toHost(value).data[0]!);
      });
      if (step === 1) afterFirstStep.push(b.liveTensors());
    }
    expect(b.liveTensors()).toBe(afterFirstStep[0]); // steady state from the first step on

    disposeParams(b, params);
    b.dispose([...m, ...v, tokens, targets]);
    expect(b.liveTensors()).toBe(start);
    console.log(`losses every 100 steps: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    expect(losses[0]).toBeGreaterThan(5); // ~ln(257) at init
    expect(losses.at(-1)!).toBeLessThan(0.5); // one batch memorized: the updates really happened
  }, 600_000); // ~5 s on an idle 2-core machine; generous for a loaded CI runner
});
