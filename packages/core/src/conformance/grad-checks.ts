// Gradient conformance of op compositions the model leans on: matmul+tanh, layer/RMS norm, GELU/SiLU,
// softmax cross-entropy, causal attention. Through fusedOps(b): the backend's fused op where it has one.

import type { Backend, Tensor } from '../backend.js';
import { fusedOps } from '../fused-reference.js';
import { int32, type HostTensor } from '../host-tensor.js';
import { Rng } from '../rng.js';
import type { ConformanceCheck } from './assert.js';
import { checkGradients, type GradCheckInput } from './finite-difference.js';
import { mapHost, randn } from './host-ops.js';

/** sum(y · R) for a fixed random R shaped like y: a scalar whose gradient reaches every element of y. */
function weightedSum(b: Backend, y: Tensor, seed: number): Tensor {
  const r = b.fromHost(randn(new Rng(seed, 'weights'), b.shape(y)));
  return b.sum(
    b.mul(y, r),
    b.shape(y).map((_, i) => i),
  );
}

function gradCheck(name: string, inputs: (rng: Rng) => GradCheckInput[], f: (b: Backend, xs: Tensor[]) => Tensor): ConformanceCheck {
  return {
    name,
    run: (b) => {
      checkGradients(b, name, (xs) => f(b, xs), inputs(new Rng(1, name)));
    },
  };
}

const input = (name: string, value: HostTensor): GradCheckInput => ({ name, value });

export function gradChecks(): ConformanceCheck[] {
  return [
    gradCheck(
      'valueAndGrad matches finite differences: matmul (2-D and batched, every transpose combination) + bias + tanh',
      (rng) => [
        input('A', randn(rng, [2, 3, 4])),
        input('W', randn(rng, [5, 4], 0.5)),
        input('bias', randn(rng, [5])),
        input('P', randn(rng, [2, 4, 3])),
        input('Q', randn(rng, [2, 4, 2])),
        input('S', randn(rng, [3, 2])),
        input('U', randn(rng, [4, 3])),
        input('G', randn(rng, [1, 2, 3, 4])),
      ],
      (b, [A, W, bias, P, Q, S, U, G]) => {
        const y = b.tanh(b.add(b.matmul(b.reshape(A!, [-1, 4]), W!, false, true), bias!)); // (6, 5)
        const z = b.tanh(b.matmul(P!, Q!, true, false)); // (2, 3, 2)
        const u = b.tanh(b.matmul(S!, U!, true, true)); // (2, 4)
        const g = b.matmul(b.tanh(b.matmul(G!, G!, false, true)), G!); // (1, 2, 3, 4)
        return [y, z, u, g].map((t, i) => weightedSum(b, t, i + 1)).reduce((s, t) => b.add(s, t));
      },
    ),
    gradCheck(
      'valueAndGrad matches finite differences: layerNorm (weight, bias)',
      (rng) => [input('x', randn(rng, [2, 3, 6])), input('weight', randn(rng, [6], 0.5, 1)), input('bias', randn(rng, [6], 0.5))],
      (b, [x, w, bias]) => weightedSum(b, fusedOps(b).layerNorm(x!, w!, bias!, 1e-5), 3),
    ),
    gradCheck(
      'valueAndGrad matches finite differences: rmsNorm',
      (rng) => [input('x', randn(rng, [2, 3, 6])), input('weight', randn(rng, [6], 0.5, 1))],
      (b, [x, w]) => weightedSum(b, fusedOps(b).rmsNorm(x!, w!, 1e-5), 4),
    ),
    gradCheck(
      'valueAndGrad matches finite differences: gelu, geluExact, silu, softmax, logSoftmax, erf',
      (rng) => [input('x', randn(rng, [3, 5], 1.5))],
      (b, [x]) => {
        const f = fusedOps(b);
        const parts = [f.gelu(x!), f.geluExact(x!), f.silu(x!), f.softmax(x!), f.logSoftmax(x!), b.erf(x!)];
        return parts.map((p, i) => weightedSum(b, p, 10 + i)).reduce((s, t) => b.add(s, t));
      },
    ),
    gradCheck(
      'valueAndGrad matches finite differences: relu (inputs kept off its kink at 0)',
      (rng) => [
        input(
          'x',
          mapHost(randn(rng, [3, 5], 1.5), (v) => v + Math.sign(v || 1) * 0.1),
        ),
      ],
      (b, [x]) => weightedSum(b, b.relu(x!), 16),
    ),
    gradCheck(
      'valueAndGrad matches finite differences: softmax cross-entropy with an ignored target',
      (rng) => [input('logits', randn(rng, [6, 7], 2))],
      (b, [logits]) => fusedOps(b).crossEntropy(logits!, b.fromHost(int32([6], [3, 0, -1, 6, 2, 3])), -1),
    ),
    gradCheck(
      'valueAndGrad matches finite differences: causal attention',
      (rng) => [input('q', randn(rng, [2, 2, 4, 3])), input('k', randn(rng, [2, 2, 4, 3])), input('v', randn(rng, [2, 2, 4, 3]))],
      (b, [q, k, v]) => weightedSum(b, fusedOps(b).attention(q!, k!, v!, { scale: 1 / Math.sqrt(3), causal: true }), 5),
    ),
    gradCheck(
      'valueAndGrad matches finite differences: causal attention with a sliding window of 2 and a soft-cap of 1.5',
      (rng) => [input('q', randn(rng, [1, 2, 5, 3], 1.5)), input('k', randn(rng, [1, 2, 5, 3], 1.5)), input('v', randn(rng, [1, 2, 5, 3]))],
      (b, [q, k, v]) =>
        weightedSum(b, fusedOps(b).attention(q!, k!, v!, { scale: 1 / Math.sqrt(3), causal: true, window: 2, softcap: 1.5 }), 6),
    ),
  ];
}
