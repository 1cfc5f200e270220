// AdamW against the textbook update, decay only on 2-D parameters, and its state round trip.
// Not the schedule or clipping (schedule.test.ts, train-step.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, ParamSpec, Tensor } from '@hyperclone/core';
import { float32 } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { AdamW } from '../src/index.js';

let b: Backend;
beforeAll(async () => {
  b = await createTfjsBackend();
});
afterAll(() => b.close());

/** AdamW in float64 on the host, one parameter at a time (the textbook update). */
function hostAdamW(p: number[], grads: number[][], lrs: number[], decay: number): number[] {
  const [b1, b2, eps] = [0.9, 0.95, 1e-8];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, t) => {
    for (let i = 0; i < x.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** (t + 1));
      const vHat = v[i]! / (1 - b2 ** (t + 1));
      x[i] = x[i]! * (1 - lrs[t]! * decay) - (lrs[t]! * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return x;
}

describe('AdamW', () => {
  const specs: ParamSpec[] = [
    {
      name: 'w',
      kind: 'linear',
      shape: [2, 2],
      axes: ['model', 'model'],
      stream: null,
      readsThrough: null,
      block: 0,
      init: 'normal',
      decay: true,
    },
    { name: 'bias', kind: 'bias', shape: [2], axes: ['model'], stream: null, readsThrough: null, block: 0, init: 'zeros', decay: false },
  ];
  const w0 = [0.5, -0.25, 1, 2];
  const b0 = [0.1, -0.1];
  const gradsW = [
    [0.1, -0.2, 0.3, 0.05],
    [-0.4, 0.1, 0.2, 0.0],
    [0.2, 0.2, -0.1, 0.3],
  ];
  const gradsB = [
    [1, -1],
    [0.5, 0.25],
    [-0.3, 0.6],
  ];
  const lrs = [0.01, 0.02, 0.015];

  it('matches the textbook update, decaying only the 2-D parameter', () => {
    const opt = new AdamW(b, specs, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
    const params: Record<string, Tensor> = { w: b.keep(b.fromHost(float32([2, 2], w0))), bias: b.keep(b.fromHost(float32([2], b0))) };
    for (let t = 0; t < 3; t++) {
      const grads = [b.fromHost(float32([2, 2], gradsW[t]!)), b.fromHost(float32([2], gradsB[t]!))];
      opt.step(params, grads, lrs[t]!);
      b.dispose(grads);
    }
    const w = Array.from(b.toHost(params['w']!).data);
    const bias = Array.from(b.toHost(params['bias']!).data);
    hostAdamW(w0, gradsW, lrs, 0.1).forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
    hostAdamW(b0, gradsB, lrs, 0).forEach((x, i) => expect(bias[i]).toBeCloseTo(x, 6));
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    b.dispose(Object.values(params));
  });

  it('round-trips its state, and refuses state for another model', () => {
    const opt = new AdamW(b, specs, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
    const params: Record<string, Tensor> = { w: b.keep(b.fromHost(float32([2, 2], w0))), bias: b.keep(b.fromHost(float32([2], b0))) };
    const grads = [b.fromHost(float32([2, 2], gradsW[0]!)), b.fromHost(float32([2], gradsB[0]!))];
    opt.step(params, grads, 0.01);
    const saved = opt.stateDict();
    const other = new AdamW(b, specs, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
    other.loadStateDict(saved, 'test');
    expect(other.stepCount).toBe(1);
    expect(Array.from(other.stateDict().get('v.w')!.data)).toEqual(Array.from(saved.get('v.w')!.data));
    const wrong = new AdamW(b, [{ ...specs[0]!, shape: [3, 2] }], {
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0,
    });
    expect(() => wrong.loadStateDict(saved, 'ckpt')).toThrowError(/"m.w" is \[2, 2\], the model needs \[3, 2\]/);
    for (const o of [opt, other, wrong]) o.dispose();
    b.dispose([...grads, ...Object.values(params)]);
  });
});
