// Conformance of the fused ops: what the model calls (fusedOps(b): the backend's own op or the reference)
// against the reference composition and against host math, values and gradients. Not the required ops.

import type { AttentionOptions, Backend, FusedOps, Tensor } from '../backend.js';
import { fusedOps, referenceFused } from '../fused-reference.js';
import { hostTensor, int32, type HostTensor } from '../host-tensor.js';
import { Rng } from '../rng.js';
import { assertClose, type ConformanceCheck, type Tolerance } from './assert.js';
import { binaryHost, mapHost, matmulHost, randn, uniform } from './host-ops.js';
import {
  adamwHost,
  attentionHost,
  crossEntropyHost,
  geluExactHost,
  geluHost,
  layerNormHost,
  logSoftmaxHost,
  rmsNormHost,
  siluHost,
  softmaxHost,
} from './host-nn.js';

/** Fused against reference on the same engine: both float32, so close to rounding. */
const VALUE_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-5 };
const GRAD_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };

interface FusedCase {
  op: keyof FusedOps;
  detail: string;
  inputs: (rng: Rng) => HostTensor[];
  /** Calls the op with device inputs; returns one output (adamw: all three, concatenated by the caller). */
  call: (ops: FusedOps, xs: Tensor[]) => Tensor[];
  host: (xs: HostTensor[]) => (HostTensor | number)[];
  /** Which inputs to compare gradients for (none for adamw and for integer inputs). */
  gradInputs: number[];
}

function fusedCheck(c: FusedCase): ConformanceCheck {
  const name = `fused ${c.op} (${c.detail}) matches the reference composition and host math`;
  return {
    name,
    run: (b) => {
      const own = b.fused[c.op] ? "the backend's fused" : 'the reference';
      const xs = c.inputs(new Rng(3, name));
      b.tidy(() => {
        const dev = xs.map((x) => b.fromHost(x));
        const fused = c.call(fusedOps(b), dev).map((t) => b.toHost(t));
        // fresh inputs: a fused adamw may update its inputs in place (backend.ts allows it)
        const reference = c
          .call(
            referenceFused(b),
            xs.map((x) => b.fromHost(x)),
          )
          .map((t) => b.toHost(t));
        const host = c.host(xs);
        fused.forEach((out, i) => {
          assertClose(`${c.op} (${own}) vs the reference composition, output ${i}`, out, reference[i]!, VALUE_TOLERANCE);
          const h = host[i]!;
          assertClose(`${c.op} (${own}) vs host math, output ${i}`, out, typeof h === 'number' ? [h] : h, { rtol: 1e-4, atol: 1e-5 });
        });
      });
      if (c.gradInputs.length > 0) compareGradients(b, c, xs, own);
    },
  };
}

function compareGradients(b: Backend, c: FusedCase, xs: HostTensor[], own: string): void {
  const grads = (ops: FusedOps): HostTensor[] => {
    const out: HostTensor[] = [];
    b.tidy(() => {
      const dev = xs.map((x) => b.fromHost(x));
      const f = (vars: Tensor[]): Tensor => {
        const all = dev.map((d, i) => (c.gradInputs.includes(i) ? vars[c.gradInputs.indexOf(i)]! : d));
        const y = c.call(ops, all)[0]!;
        const r = b.fromHost(randn(new Rng(5, c.op), b.shape(y)));
        return b.sum(
          b.mul(y, r),
          b.shape(y).map((_, i) => i),
        ); // sum(y · R)
      };
      for (const g of b.valueAndGrad(
        f,
        c.gradInputs.map((i) => dev[i]!),
      ).grads)
        out.push(b.toHost(g));
    });
    return out;
  };
  const fused = grads(fusedOps(b));
  const reference = grads(referenceFused(b));
  fused.forEach((g, i) => {
    assertClose(`gradient of ${c.op} (${own}) wrt input ${c.gradInputs[i]} vs the reference composition`, g, reference[i]!, GRAD_TOLERANCE);
  });
}

const attention =
  (o: AttentionOptions) =>
  (ops: FusedOps, [q, k, v]: Tensor[]) => [ops.attention(q!, k!, v!, o)];

const cases: FusedCase[] = [
  {
    op: 'layerNorm',
    detail: 'with bias',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [2, 3, 8], 2, 0.5), randn(r, [8], 0.5, 1), randn(r, [8], 0.5)],
    call: (ops, [x, w, bias]) => [ops.layerNorm(x!, w!, bias!, 1e-5)],
    host: ([x, w, bias]) => [layerNormHost(x!, w!, bias!, 1e-5)],
  },
  {
    op: 'layerNorm',
    detail: 'without bias',
    gradInputs: [0, 1],
    inputs: (r) => [randn(r, [4, 8]), randn(r, [8], 0.5, 1)],
    call: (ops, [x, w]) => [ops.layerNorm(x!, w!, null, 1e-5)],
    host: ([x, w]) => [layerNormHost(x!, w!, null, 1e-5)],
  },
  {
    op: 'rmsNorm',
    detail: '3-D input',
    gradInputs: [0, 1],
    inputs: (r) => [randn(r, [2, 3, 8], 2), randn(r, [8], 0.5, 1)],
    call: (ops, [x, w]) => [ops.rmsNorm(x!, w!, 1e-5)],
    host: ([x, w]) => [rmsNormHost(x!, w!, 1e-5)],
  },
  {
    op: 'gelu',
    detail: 'tanh approximation',
    gradInputs: [0],
    inputs: (r) => [randn(r, [3, 7], 2.5)],
    call: (ops, [x]) => [ops.gelu(x!)],
    host: ([x]) => [mapHost(x!, geluHost)],
  },
  {
    op: 'geluExact',
    detail: 'erf form',
    gradInputs: [0],
    inputs: (r) => [randn(r, [3, 7], 2.5)],
    call: (ops, [x]) => [ops.geluExact(x!)],
    host: ([x]) => [mapHost(x!, geluExactHost)],
  },
  {
    op: 'silu',
    detail: 'x·sigmoid(x)',
    gradInputs: [0],
    inputs: (r) => [randn(r, [3, 7], 2.5)],
    call: (ops, [x]) => [ops.silu(x!)],
    host: ([x]) => [mapHost(x!, siluHost)],
  },
  {
    op: 'softmax',
    detail: 'last axis, large logits',
    gradInputs: [0],
    inputs: (r) => [randn(r, [2, 3, 9], 20)],
    call: (ops, [x]) => [ops.softmax(x!)],
    host: ([x]) => [softmaxHost(x!)],
  },
  {
    op: 'logSoftmax',
    detail: 'last axis, large logits',
    gradInputs: [0],
    inputs: (r) => [randn(r, [2, 3, 9], 20)],
    call: (ops, [x]) => [ops.logSoftmax(x!)],
    host: ([x]) => [logSoftmaxHost(x!)],
  },
  {
    op: 'attention',
    detail: 'causal',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [2, 3, 5, 4]), randn(r, [2, 3, 5, 4]), randn(r, [2, 3, 5, 4])],
    call: attention({ scale: 0.5, causal: true }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.5, true)],
  },
  {
    op: 'attention',
    detail: 'not causal',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 4, 3]), randn(r, [1, 2, 6, 3]), randn(r, [1, 2, 6, 3])],
    call: attention({ scale: 0.7, causal: false }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.7, false)],
  },
  {
    op: 'attention',
    detail: 'causal, more keys than queries: query t sees keys up to t + Tk - T',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 3, 4]), randn(r, [1, 2, 5, 4]), randn(r, [1, 2, 5, 4])],
    call: attention({ scale: 0.5, causal: true }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.5, true)],
  },
  {
    op: 'attention',
    detail: 'causal, 150 queries: several blocks of rows, the last one partial',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 150, 8]), randn(r, [1, 2, 150, 8]), randn(r, [1, 2, 150, 8])],
    call: attention({ scale: 0.35, causal: true }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.35, true)],
  },
  {
    op: 'attention',
    detail: 'causal, 130 queries on 200 keys: blocks of rows see keys up to t + 70',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 130, 8]), randn(r, [1, 2, 200, 8]), randn(r, [1, 2, 200, 8])],
    call: attention({ scale: 0.35, causal: true }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.35, true)],
  },
  {
    op: 'attention',
    detail: 'causal, sliding window of 3 keys',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [2, 2, 7, 4]), randn(r, [2, 2, 7, 4]), randn(r, [2, 2, 7, 4])],
    call: attention({ scale: 0.5, causal: true, window: 3 }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.5, true, { window: 3 })],
  },
  {
    op: 'attention',
    detail: 'causal, soft-capped scores (cap 2, scores well beyond it)',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 6, 4], 2), randn(r, [1, 2, 6, 4], 2), randn(r, [1, 2, 6, 4])],
    call: attention({ scale: 0.5, causal: true, softcap: 2 }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.5, true, { softcap: 2 })],
  },
  {
    op: 'attention',
    detail: 'causal, 150 queries on 170 keys, window 40 and soft-cap 5: blocks of rows see keys from t + 20 - 39',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [1, 2, 150, 8], 1.5), randn(r, [1, 2, 170, 8], 1.5), randn(r, [1, 2, 170, 8])],
    call: attention({ scale: 0.35, causal: true, window: 40, softcap: 5 }),
    host: ([q, k, v]) => [attentionHost(q!, k!, v!, 0.35, true, { window: 40, softcap: 5 })],
  },
  {
    op: 'crossEntropy',
    detail: 'mean over targets, ignoreIndex -1 skipped',
    gradInputs: [0],
    inputs: (r) => [randn(r, [7, 11], 3), int32([7], [3, -1, 10, 0, -1, 5, 5])],
    call: (ops, [logits, targets]) => [ops.crossEntropy(logits!, targets!, -1)],
    host: ([logits, targets]) => [crossEntropyHost(logits!, targets!, -1)],
  },
  {
    op: 'crossEntropy',
    detail: 'another ignoreIndex (0)',
    gradInputs: [0],
    inputs: (r) => [randn(r, [5, 6]), int32([5], [0, 2, 0, 1, 5])],
    call: (ops, [logits, targets]) => [ops.crossEntropy(logits!, targets!, 0)],
    host: ([logits, targets]) => [crossEntropyHost(logits!, targets!, 0)],
  },
  {
    op: 'linear',
    detail: 'x (2, 5, 6) -> 4 features with a bias',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [2, 5, 6]), randn(r, [4, 6]), randn(r, [4], 0.5)],
    call: (ops, [x, w, bias]) => [ops.linear(x!, w!, bias!)],
    host: ([x, w, bias]) => [linearHost(x!, w!, bias!)],
  },
  {
    op: 'linear',
    detail: '37 rows (not a multiple of the threads) -> 9 features, no bias',
    gradInputs: [0, 1],
    inputs: (r) => [randn(r, [37, 8]), randn(r, [9, 8])],
    call: (ops, [x, w]) => [ops.linear(x!, w!, null)],
    host: ([x, w]) => [linearHost(x!, w!, null)],
  },
  {
    op: 'linearCrossEntropy',
    detail: 'head with a bias and a logit scale, ignoreIndex -1 skipped, one chunk',
    gradInputs: [0, 1, 2],
    inputs: (r) => [randn(r, [7, 5]), randn(r, [11, 5]), randn(r, [11], 0.5), int32([7], [3, -1, 10, 0, -1, 5, 5])],
    call: (ops, [x, w, bias, targets]) => [ops.linearCrossEntropy(x!, w!, bias!, targets!, { ignoreIndex: -1, logitScale: 0.5 })],
    host: ([x, w, bias, targets]) => [crossEntropyHost(headLogitsHost(x!, w!, bias!, 0.5), targets!, -1)],
  },
  {
    op: 'linearCrossEntropy',
    detail: 'no bias, rows in chunks of 3 (the last one partial)',
    gradInputs: [0, 1],
    inputs: (r) => [randn(r, [8, 6]), randn(r, [13, 6]), int32([8], [12, 0, 3, 3, -1, 7, 1, 9])],
    call: (ops, [x, w, targets]) => [ops.linearCrossEntropy(x!, w!, null, targets!, { ignoreIndex: -1, logitScale: 1, chunkRows: 3 })],
    host: ([x, w, targets]) => [crossEntropyHost(headLogitsHost(x!, w!, null, 1), targets!, -1)],
  },
  {
    op: 'adamw',
    detail: 'step 3 with weight decay',
    gradInputs: [],
    inputs: (r) => [randn(r, [4, 5]), randn(r, [4, 5]), randn(r, [4, 5], 0.1), uniform(r, [4, 5], 0.01, 0.2)],
    call: (ops, [p, g, m, v]) => ops.adamw(p!, g!, m!, v!, ADAMW),
    host: ([p, g, m, v]) => adamwHost(p!, g!, m!, v!, ADAMW),
  },
];

const ADAMW = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };

/** x (..., in) · wᵀ (+ bias) on the host, over the last axis. */
function linearHost(x: HostTensor, w: HostTensor, bias: HostTensor | null): HostTensor {
  const inner = x.shape.at(-1)!;
  const flat = matmulHost(hostTensor([x.data.length / inner, inner], x.data), w, false, true); // (N, out)
  const y = bias ? binaryHost(flat, bias, (a, c) => a + c) : flat;
  return hostTensor([...x.shape.slice(0, -1), w.shape[0]!], y.data);
}

/** (x · wᵀ + bias) · scale on the host: the logits the fused classifier never holds whole. */
function headLogitsHost(x: HostTensor, w: HostTensor, bias: HostTensor | null, scale: number): HostTensor {
  const linear = matmulHost(x, w, false, true); // (N, V)
  const biased = bias ? binaryHost(linear, bias, (a, c) => a + c) : linear;
  return mapHost(biased, (v) => v * scale);
}

export function fusedChecks(): ConformanceCheck[] {
  return cases.map(fusedCheck);
}
