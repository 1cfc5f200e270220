// The CPU attention node (native/attention-cpu.cpp): the same bits on 1 and 2 threads, and with dropout
// the reference composition's numbers. Not the plain cases against the reference (the conformance suite
// has those, several blocks of rows among them).

import { afterAll, describe, expect, it } from 'vitest';
import { assertClose, referenceFused, type AttentionOptions, type Backend, type Tensor } from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

interface AttentionCase {
  name: string;
  heads: number;
  T: number;
  Tk: number;
  options: AttentionOptions;
}

const CASES: AttentionCase[] = [
  { name: 'causal, 200 queries (4 blocks of rows, the last partial)', heads: 3, T: 200, Tk: 200, options: { scale: 0.25, causal: true } },
  { name: 'causal with dropout 0.1', heads: 3, T: 200, Tk: 200, options: { scale: 0.25, causal: true, dropout: 0.1, dropoutSeed: 17 } },
  { name: 'causal, 130 queries on 200 keys', heads: 2, T: 130, Tk: 200, options: { scale: 0.25, causal: true } },
  { name: 'not causal, 70 queries on 90 keys', heads: 2, T: 70, Tk: 90, options: { scale: 0.4, causal: false } },
  {
    name: 'causal, sliding window 70, soft-cap 0.5 (scores well beyond it), with dropout',
    heads: 2,
    T: 200,
    Tk: 200,
    options: { scale: 0.25, causal: true, window: 70, softcap: 0.5, dropout: 0.1, dropoutSeed: 3 },
  },
];

const B = 2;
const D = 16;

/** Deterministic values in [-1, 1): the same inputs for every backend made here. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** (B, heads, rows, D) as the model makes it: a transposed view of (B, rows, heads, D). */
function headsView(b: Backend, heads: number, rows: number, seed: number): Tensor {
  const x = b.fromHost({ dtype: 'float32', shape: [B, rows, heads, D], data: values(B * rows * heads * D, seed) });
  return b.transpose(x, [0, 2, 1, 3]);
}

/** The weighted sum of attention's output and its gradients wrt q, k, v, on the host. */
function run(b: Backend, c: AttentionCase, attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor): Float32Array[] {
  const tensors = b.tidy(() => {
    const q = headsView(b, c.heads, c.T, 1);
    const k = headsView(b, c.heads, c.Tk, 2);
    const v = headsView(b, c.heads, c.Tk, 3);
    const w = b.fromHost({ dtype: 'float32', shape: [B, c.heads, c.T, D], data: values(B * c.heads * c.T * D, 4) });
    const { value, grads } = b.valueAndGrad(([q, k, v]) => b.sum(b.mul(attend(q!, k!, v!), w), [0, 1, 2, 3]), [q, k, v]);
    return [value, ...grads];
  });
  const host = tensors.map((t) => b.toHost(t).data as Float32Array);
  b.dispose(tensors);
  return host;
}

describeTorch('CPU attention node', () => {
  const opened: TorchBackend[] = [];
  const open = async (threads: number): Promise<TorchBackend> => {
    const b = await createTorchBackend({ device: 'cpu', threads });
    opened.push(b);
    return b;
  };
  afterAll(() => opened.forEach((b) => b.close()));

  describe('1 and 2 threads give the same bits (each thread takes whole slices)', () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const b1 = await open(1);
        const one = run(b1, c, (q, k, v) => b1.fused.attention!(q, k, v, c.options));
        const b2 = await open(2);
        const two = run(b2, c, (q, k, v) => b2.fused.attention!(q, k, v, c.options));
        expect(two.map((t) => t.length)).toEqual([1, B * c.heads * c.T * D, B * c.heads * c.Tk * D, B * c.heads * c.Tk * D]);
        two.forEach((t, i) => expect(Array.from(t), `output ${i}`).toEqual(Array.from(one[i]!)));
      });
    }
  });

  for (const c of [CASES[1]!, CASES[4]!]) {
    it(`dropout: the mask the reference composition draws with the same seed, value and gradients (${c.name})`, async () => {
      const b = await open(2);
      const reference = referenceFused(b);
      const fused = run(b, c, (q, k, v) => b.fused.attention!(q, k, v, c.options));
      const composed = run(b, c, (q, k, v) => reference.attention(q, k, v, c.options));
      const noDropout = run(b, c, (q, k, v) => b.fused.attention!(q, k, v, { ...c.options, dropout: 0 }));
      ['value', 'dq', 'dk', 'dv'].forEach((what, i) => {
        const shape = [fused[i]!.length];
        assertClose(
          what,
          { dtype: 'float32', shape, data: fused[i]! },
          { dtype: 'float32', shape, data: composed[i]! },
          { atol: 2e-5, rtol: 1e-4 },
        );
      });
      expect(Math.abs(fused[0]![0]! - noDropout[0]![0]!)).toBeGreaterThan(1e-3); // the mask did something
    });
  }
});
