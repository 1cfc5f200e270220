// tfjs and torch compute the same GPT: forward logits, loss and every gradient agree within 1e-4, both families.
// Not parity with PyTorch (parity.test.ts): this checks our two engines against each other.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  crossEntropyLoss,
  disposeParams,
  forward,
  hostTensor,
  maxAbsDiff,
  paramSpec,
  resolveConfig,
  uploadParams,
  type Backend,
  type HostTensor,
  type ModelConfig,
  type Tensor,
} from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '../src/index.js';
import { testBatch, testWeights } from './model-weights.js';
import { describeTorch } from './torch-ready.js';

const TOLERANCE = 1e-4;
const B = 2;
const T = 32;

interface Run {
  logits: HostTensor;
  loss: number;
  grads: Map<string, HostTensor>;
}

function run(b: Backend, config: ModelConfig): Run {
  const names = paramSpec(config).map((s) => s.name);
  const params = uploadParams(b, config, testWeights(config));
  const batch = testBatch(config.vocabSize, B, T);
  try {
    return b.tidy(() => {
      const tokens = b.fromHost(hostTensor([B, T], batch.tokens)); // (B, T)
      const targets = b.fromHost(hostTensor([B, T], batch.targets)); // (B, T)
      const logits = b.toHost(forward(b, config, params, tokens).logits); // (B, T, V)
      const lossOf = (xs: Tensor[]): Tensor => {
        const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
        return crossEntropyLoss(b, forward(b, config, p, tokens).logits, targets);
      };
      const { value, grads } = b.valueAndGrad(
        lossOf,
        names.map((n) => params[n]!),
      );
      const out: Run = { logits, loss: b.toHost(value).data[0]!, grads: new Map(names.map((n, i) => [n, b.toHost(grads[i]!)])) };
      return out as never;
    }) as unknown as Run;
  } finally {
    disposeParams(b, params);
  }
}

const FAMILIES: [string, ModelConfig][] = [
  ['gpt (layernorm, learned positions, gelu, tied)', resolveConfig({ ...resolveConfig('tiny'), logitScale: 0.5 })],
  ['llama (rmsnorm, rope, swiglu, GQA, untied)', resolveConfig('tiny-llama')],
];

describeTorch('tfjs and torch agree on the GPT forward, loss and gradients', () => {
  let torch: Backend;
  let tfjs: Backend;
  beforeAll(async () => {
    torch = await createTorchBackend({ device: 'cpu', threads: 1 });
    tfjs = await createTfjsBackend({ engine: 'wasm' });
  });
  afterAll(() => {
    torch?.close();
    tfjs?.close();
  });

  it.each(FAMILIES)('%s', (label, config) => {
    const a = run(torch, config);
    const b = run(tfjs, config);
    const logitsGap = maxAbsDiff(a.logits, b.logits);
    const lossGap = Math.abs(a.loss - b.loss);
    let worst = 0;
    let worstName = '';
    for (const [name, g] of a.grads) {
      const gap = maxAbsDiff(g, b.grads.get(name)!);
      if (gap >= worst) [worst, worstName] = [gap, name];
      expect(gap, name).toBeLessThanOrEqual(TOLERANCE);
    }
    console.log(
      `${label}: loss ${a.loss.toFixed(5)}; max|Δ| logits ${logitsGap.toExponential(2)}, loss ${lossGap.toExponential(2)}, grads ${worst.toExponential(2)} (${worstName})`,
    );
    expect(a.grads.size).toBe(paramSpec(config).length);
    expect(a.loss).toBeGreaterThan(5); // ~ln(257): a real loss, not zeros
    expect(logitsGap).toBeLessThanOrEqual(TOLERANCE);
    expect(lossGap).toBeLessThanOrEqual(TOLERANCE);
  });
});
