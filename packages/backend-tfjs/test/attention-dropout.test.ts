// The tfjs fused attention applies the same seeded dropout mask as core's reference (values and gradients).
// Not in core's conformance: other backends' fused attention may draw dropout from their own generator.

import { afterAll, describe, expect, it } from 'vitest';
import { hostTensor, maxAbsDiff, referenceFused, Rng, type AttentionOptions, type HostTensor, type Tensor } from '@hyperclone/core';
import { createTfjsBackend, type TfjsBackend } from '../src/index.js';

const randn = (seed: number, shape: number[]): HostTensor =>
  hostTensor(shape, new Rng(seed).fillNormal(new Float32Array(shape.reduce((a, d) => a * d, 1)), 1));

describe.each(['wasm', 'cpu'] as const)('tfjs %s attention with dropout', (engine) => {
  let backend: TfjsBackend | null = null;
  afterAll(() => backend?.close());

  it('matches the reference composition with the same seed, values and gradients', async () => {
    const b = (backend ??= await createTfjsBackend({ engine }));
    const shape = [2, 2, 6, 4];
    const inputs = [1, 2, 3].map((s) => randn(s, shape));
    /** [output, sum(output · R), dq, dk, dv] on host. */
    const run = (attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor): HostTensor[] => {
      const out: HostTensor[] = [];
      b.tidy(() => {
        const xs = inputs.map((h) => b.fromHost(h));
        const r = b.fromHost(randn(9, shape));
        const { value, grads } = b.valueAndGrad(([q, k, v]) => b.sum(b.mul(attend(q!, k!, v!), r), [0, 1, 2, 3]), xs);
        for (const t of [attend(xs[0]!, xs[1]!, xs[2]!), value, ...grads]) out.push(b.toHost(t));
      });
      return out;
    };
    const withDropout: AttentionOptions = { scale: 0.5, causal: true, dropout: 0.3, dropoutSeed: 77 };
    const fused = run((q, k, v) => b.fused.attention!(q, k, v, withDropout));
    const reference = run((q, k, v) => referenceFused(b).attention(q, k, v, withDropout));
    fused.forEach((t, i) => expect(maxAbsDiff(t, reference[i]!), `result ${i}`).toBeLessThan(1e-5));
    const noDropout = run((q, k, v) => b.fused.attention!(q, k, v, { ...withDropout, dropout: 0 }));
    expect(maxAbsDiff(fused[0]!, noDropout[0]!)).toBeGreaterThan(0.1); // the mask did something
  });
});
