// Host (float64 inside) versions of the fused ops: an oracle independent of every backend.
// Not the reference compositions (fused-reference.ts runs on a backend); these never touch one.

import type { AdamWHyper } from '../backend.js';
import { hostTensor, numel, type HostTensor } from '../host-tensor.js';
import { matmulHost } from './host-ops.js';

/** Applies f to each row along the last axis. */
function rows(x: HostTensor, f: (row: number[]) => number[]): HostTensor {
  const n = x.shape.at(-1)!;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / n; r++) {
    const row = Array.from(x.data.subarray(r * n, (r + 1) * n));
    out.set(f(row), r * n);
  }
  return hostTensor(x.shape, out);
}

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

export function layerNormHost(x: HostTensor, weight: HostTensor, bias: HostTensor | null, eps: number): HostTensor {
  return rows(x, (row) => {
    const mu = mean(row);
    const variance = mean(row.map((v) => (v - mu) ** 2));
    return row.map((v, i) => ((v - mu) / Math.sqrt(variance + eps)) * weight.data[i]! + (bias ? bias.data[i]! : 0));
  });
}

export function rmsNormHost(x: HostTensor, weight: HostTensor, eps: number): HostTensor {
  return rows(x, (row) => {
    const rms = Math.sqrt(mean(row.map((v) => v * v)) + eps);
    return row.map((v, i) => (v / rms) * weight.data[i]!);
  });
}

export const geluHost = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
export const siluHost = (v: number): number => v / (1 + Math.exp(-v));
export const geluExactHost = (v: number): number => 0.5 * v * (1 + erfHost(v / Math.SQRT2));

/**
 * erf in float64: its Maclaurin series below |x| = 3 (error < 1e-13 there), the asymptotic
 * series of erfc above (error < 1e-10). Enough to judge a float32 erf.
 */
export function erfHost(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const z = 1 / (2 * a * a);
  const erfc = (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * (1 - z + 3 * z * z - 15 * z ** 3 + 105 * z ** 4);
  return Math.sign(x) * (1 - erfc);
}

export function softmaxHost(x: HostTensor): HostTensor {
  return rows(x, (row) => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

export function logSoftmaxHost(x: HostTensor): HostTensor {
  return rows(x, (row) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  });
}

/**
 * q [B, H, T, D], k and v [B, H, Tk, D]; causal: query t sees keys s <= t + Tk - T, and with a window only
 * s > t + Tk - T - window; a softcap makes each scaled score softcap·tanh(score / softcap).
 */
export function attentionHost(
  q: HostTensor,
  k: HostTensor,
  v: HostTensor,
  scale: number,
  causal: boolean,
  extras: { window?: number; softcap?: number } = {},
): HostTensor {
  const T = q.shape[2]!;
  const Tk = k.shape[2]!;
  const scores = matmulHost(q, k, false, true); // (B, H, T, Tk)
  const masked = new Float32Array(scores.data.length);
  const cap = (x: number): number => (extras.softcap === undefined ? x : extras.softcap * Math.tanh(x / extras.softcap));
  for (let i = 0; i < masked.length; i++) {
    const t = Math.floor(i / Tk) % T;
    const s = i % Tk;
    const hidden = causal && (s > t + Tk - T || (extras.window !== undefined && s <= t + Tk - T - extras.window));
    masked[i] = hidden ? -Infinity : cap(scores.data[i]! * scale);
  }
  return matmulHost(softmaxHost(hostTensor(scores.shape, masked)), v);
}

/** Mean cross-entropy of logits [N, V] against targets [N], skipping ignoreIndex. */
export function crossEntropyHost(logits: HostTensor, targets: HostTensor, ignoreIndex: number): number {
  const V = logits.shape[1]!;
  const logProbs = logSoftmaxHost(logits);
  let total = 0;
  let count = 0;
  targets.data.forEach((t, n) => {
    if (t === ignoreIndex) return;
    total -= logProbs.data[n * V + t]!;
    count++;
  });
  return total / count;
}

export function adamwHost(
  param: HostTensor,
  grad: HostTensor,
  m: HostTensor,
  v: HostTensor,
  hp: AdamWHyper,
): [HostTensor, HostTensor, HostTensor] {
  const n = numel(param.shape);
  const [p2, m2, v2] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    const g = grad.data[i]!;
    m2[i] = hp.beta1 * m.data[i]! + (1 - hp.beta1) * g;
    v2[i] = hp.beta2 * v.data[i]! + (1 - hp.beta2) * g * g;
    const update = m2[i]! / (1 - hp.beta1 ** hp.step) / (Math.sqrt(v2[i]! / (1 - hp.beta2 ** hp.step)) + hp.eps);
    p2[i] = param.data[i]! * (1 - hp.lr * hp.weightDecay) - hp.lr * update;
  }
  return [hostTensor(param.shape, p2), hostTensor(param.shape, m2), hostTensor(param.shape, v2)];
}
