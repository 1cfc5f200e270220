// core's MultiTensorOps on the torch backend: the global-norm clip against the composed arithmetic (bit for
// bit), the non-finite guard, and AdamW skipping under it. Not the trainer's use of them (trainer tests).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { float32, multiTensorOps, type AdamWHyper, type Tensor } from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

describeTorch('torch multi-tensor step ops', () => {
  let b: TorchBackend;
  beforeAll(async () => {
    b = await createTorchBackend({ device: 'cpu', threads: 2 });
  });
  afterAll(() => b.close());

  const shapes = [[3, 5], [5], [2, 3, 4], []];
  const host = (k: number, shape: number[]) =>
    float32(
      shape,
      Array.from({ length: shape.reduce((a, c) => a * c, 1) }, (_, i) => Math.sin(i * 0.7 + k) * (1 + k)),
    );

  /** The host-side formula the trainer used before the clip moved to the device. */
  function composed(gs: Tensor[], maxNorm: number, divisor: number): { sumSq: number; grads: Float32Array[] } {
    const sumSq = b.tidy(() =>
      gs
        .map((g) =>
          b.sum(
            b.mul(g, g),
            b.shape(g).map((_, i) => i),
          ),
        )
        .reduce((a, x) => b.add(a, x)),
    );
    const sq = b.toHost(sumSq).data[0]!;
    const norm = Math.sqrt(sq) / divisor;
    const scale = (maxNorm > 0 ? Math.min(maxNorm / (norm + 1e-6), 1) : 1) / divisor;
    const scaled = b.tidy(() => gs.map((g) => b.mul(g, b.scalar(scale))));
    const grads = scaled.map((t) => b.toHost(t).data as Float32Array);
    b.dispose([sumSq, ...scaled]);
    return { sumSq: sq, grads };
  }

  for (const [maxNorm, divisor] of [
    [0.5, 1],
    [0.5, 3],
    [1000, 2],
    [0, 2],
  ] as const) {
    it(`clipGradNorm(maxNorm ${maxNorm}, divisor ${divisor}) equals the composed clip bit for bit, in place`, () => {
      expect(multiTensorOps(b)).not.toBeNull();
      b.tidy(() => {
        const gs = shapes.map((s, k) => b.fromHost(host(k, s)));
        const want = composed(gs, maxNorm, divisor);
        const sumSq = b.clipGradNorm(gs, maxNorm, divisor);
        expect(b.shape(sumSq)).toEqual([]);
        expect(b.toHost(sumSq).data[0]).toBe(want.sumSq);
        gs.forEach((g, i) => expect(Array.from(b.toHost(g).data)).toEqual(Array.from(want.grads[i]!)));
      });
    });
  }

  it('clipGradNorm clips to maxNorm and rejects what it cannot clip', () => {
    b.tidy(() => {
      const gs = shapes.map((s, k) => b.fromHost(host(k, s)));
      b.clipGradNorm(gs, 0.5, 1);
      const norm = Math.sqrt(gs.reduce((s, g) => s + Array.from(b.toHost(g).data).reduce((a, v) => a + v * v, 0), 0));
      expect(norm).toBeCloseTo(0.5, 5);
      expect(() => b.clipGradNorm([], 1, 1)).toThrow(/torch clipGradNorm: clipGradNorm needs at least one gradient/);
      expect(() => b.clipGradNorm(gs, 1, 0)).toThrow(/divisor must be positive/);
    });
  });

  it('gradients that autograd shares between leaves are separate tensors, safe to scale in place', () => {
    b.tidy(() => {
      const [x, y] = [b.fromHost(float32([2], [1, 2])), b.fromHost(float32([2], [3, 4]))];
      const { grads } = b.valueAndGrad(([p, q]) => b.sum(b.add(p!, q!), 0), [x, y]); // both grads: ones
      b.clipGradNorm(grads, 0, 2);
      expect(grads.map((g) => Array.from(b.toHost(g).data))).toEqual([
        [0.5, 0.5],
        [0.5, 0.5],
      ]);
    });
  });

  it('flagNonFinite sets the guard on a NaN or infinity and never clears it', () => {
    b.tidy(() => {
      const guard = b.fromHost(float32([1], [0]));
      b.flagNonFinite(guard, [b.fromHost(float32([], [1.5])), b.fromHost(float32([2], [1, -3]))]);
      expect(b.toHost(guard).data[0]).toBe(0);
      b.flagNonFinite(guard, [b.fromHost(float32([], [1])), b.fromHost(float32([2], [1, Infinity]))]);
      expect(b.toHost(guard).data[0]).toBe(1);
      b.flagNonFinite(guard, [b.fromHost(float32([], [1]))]);
      expect(b.toHost(guard).data[0]).toBe(1);
      b.flagNonFinite(guard, [b.fromHost(float32([], [NaN]))]);
      expect(b.toHost(guard).data[0]).toBe(1);
      expect(() => b.flagNonFinite(b.fromHost(float32([2], [0, 0])), [])).toThrow(/the guard must be one float32 value/);
    });
  });

  it('adamwAll skips the update while skipIf is set, and applies it when it is 0', () => {
    const hp: AdamWHyper = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 1 };
    b.tidy(() => {
      const [p, g, m, v] = [0, 1, 2, 3].map((k) => b.fromHost(host(k, [4]))) as [Tensor, Tensor, Tensor, Tensor];
      const before = [p, m, v].map((t) => Array.from(b.toHost(t).data));
      b.adamwAll([p], [g], [m], [v], hp, b.fromHost(float32([1], [1])));
      expect([p, m, v].map((t) => Array.from(b.toHost(t).data))).toEqual(before);
      b.adamwAll([p], [g], [m], [v], hp, b.fromHost(float32([1], [0])));
      expect(Array.from(b.toHost(p).data)).not.toEqual(before[0]);
    });
  });
});
