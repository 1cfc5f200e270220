// The fused classifier (linearCrossEntropy: the LM head and cross-entropy over row chunks) against the unfused
// composition on the same engine (the linear layer, then crossEntropy): the loss and every gradient, at GPT-2's
// vocabulary. One chunk gives the unfused bits; several give the same loss bits and the gradients to float32
// rounding (each chunk's GEMMs sum in their own order). Not its memory (benchmarks/fused-classifier.ts).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { fusedOps, hostTensor, Rng, type HostTensor, type Tensor } from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

const V = 50_257;
const C = 24;
const N = 40;

function randn(rng: Rng, shape: number[], std: number): HostTensor {
  return hostTensor(
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * std),
  );
}

for (const threads of [1, 2]) {
  describeTorch(`the fused classifier on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    let b: TorchBackend;
    beforeAll(async () => {
      b = await createTorchBackend({ device: 'cpu', threads });
    });
    afterAll(() => b.close());

    const rng = new Rng(9, 'fused-classifier');
    const x = randn(rng, [N, C], 1);
    const w = randn(rng, [V, C], 0.5);
    const bias = randn(rng, [V], 0.1);
    const targets = hostTensor(
      [N],
      Int32Array.from({ length: N }, (_, i) => (i % 7 === 3 ? -1 : (i * 7919) % V)),
    );

    /** Loss and gradients (x, w, bias) of one way of computing it, read back to the host. */
    function lossAndGrads(f: (xs: Tensor[], t: Tensor) => Tensor): { loss: number; grads: Float32Array[] } {
      return b.tidy(() => {
        const t = b.fromHost(targets);
        const { value, grads } = b.valueAndGrad(
          (xs) => f(xs, t),
          [x, w, bias].map((h) => b.fromHost(h)),
        );
        const out = { loss: b.toHost(value).data[0]!, grads: grads.map((g) => b.toHost(g).data as Float32Array) };
        return out as never;
      }) as unknown as { loss: number; grads: Float32Array[] };
    }

    const unfused = (scale: number) => (xs: Tensor[], t: Tensor) => {
      const f = fusedOps(b);
      let logits = f.linear(xs[0]!, xs[1]!, xs[2]!); // (N, V)
      if (scale !== 1) logits = b.mul(logits, b.scalar(scale));
      return f.crossEntropy(logits, t, -1);
    };
    const fused = (scale: number, chunkRows?: number) => (xs: Tensor[], t: Tensor) =>
      fusedOps(b).linearCrossEntropy(xs[0]!, xs[1]!, xs[2]!, t, {
        ignoreIndex: -1,
        logitScale: scale,
        ...(chunkRows ? { chunkRows } : {}),
      });

    /** The first index where two arrays' bits differ, or -1 (vitest's deep equality is slow on a million floats). */
    const firstDifference = (a: Float32Array, ref: Float32Array) => {
      if (a.length !== ref.length) return 0;
      for (let i = 0; i < ref.length; i++) if (!Object.is(a[i], ref[i])) return i;
      return -1;
    };

    const maxRelative = (a: Float32Array, ref: Float32Array) => {
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]!));
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(a[i]! - ref[i]!));
      return worst / scale;
    };

    it('in one chunk: the unfused loss and gradients, bit for bit (logit scale 0.5, an ignored target every 7 rows)', () => {
      const expected = lossAndGrads(unfused(0.5));
      const got = lossAndGrads(fused(0.5));
      expect(got.loss).toBe(expected.loss);
      expect(got.grads.map((g, i) => firstDifference(g, expected.grads[i]!))).toEqual([-1, -1, -1]);
      expect(Number.isFinite(got.loss) && got.loss > 5).toBe(true); // near ln(V) = 10.8 for random logits
    });

    it('in chunks of 7 rows: the same loss bits, and every gradient to float32 rounding', () => {
      const expected = lossAndGrads(unfused(1));
      const got = lossAndGrads(fused(1, 7));
      expect(got.loss).toBe(expected.loss);
      const worst = got.grads.map((g, i) => maxRelative(g, expected.grads[i]!));
      for (const w of worst) expect(w).toBeLessThan(1e-6);
    });
  });
}
