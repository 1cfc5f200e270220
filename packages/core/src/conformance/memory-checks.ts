// Conformance of memory scopes (tidy, keep, dispose, valueAndGrad ownership) and of seeded dropout.
// Not the model's leak check (model-checks.ts) and not op values (op-checks.ts).

import type { Backend, Tensor, TensorContainer } from '../backend.js';
import { fill, float32 } from '../host-tensor.js';
import { Rng } from '../rng.js';
import { assertClose, assertTrue, type ConformanceCheck } from './assert.js';
import { randn } from './host-ops.js';

function liveDelta(b: Backend, body: () => void): number {
  const before = b.liveTensors();
  body();
  return b.liveTensors() - before;
}

const tidyFrees: ConformanceCheck = {
  name: 'tidy frees intermediates, keeps what it returns and what keep() marks; dispose frees',
  run: (b) => {
    const x = randn(new Rng(21), [4, 4]);
    const work = (): Tensor => b.tanh(b.matmul(b.add(b.fromHost(x), b.scalar(1)), b.fromHost(x)));
    assertDelta(
      'tidy returning nothing',
      liveDelta(b, () => b.tidy(() => void work())),
      0,
    );
    let kept: TensorContainer = [];
    assertDelta(
      'tidy returning [t, {inner: t}]',
      liveDelta(b, () => (kept = b.tidy(() => [work(), { inner: work() }]))),
      2,
    );
    assertDelta(
      'dispose of what tidy returned',
      liveDelta(b, () => b.dispose(kept)),
      -2,
    );
    let survivor: Tensor | null = null;
    assertDelta(
      'keep inside tidy',
      liveDelta(b, () => b.tidy(() => void (survivor = b.keep(work())))),
      1,
    );
    b.tidy(() => assertClose('a kept tensor is still readable after its tidy', b.toHost(survivor!), b.toHost(work())));
    assertDelta(
      'dispose of a kept tensor',
      liveDelta(b, () => b.dispose(survivor!)),
      -1,
    );
    const nested = liveDelta(b, () => b.tidy(() => void b.tidy(() => work())));
    assertDelta('nested tidy', nested, 0);
  },
};

const valueAndGradOwnership: ConformanceCheck = {
  name: 'valueAndGrad frees its intermediates; the caller owns value and grads',
  run: (b) => {
    const xs = [b.keep(b.fromHost(randn(new Rng(22), [3, 4]))), b.keep(b.fromHost(randn(new Rng(23), [4, 2])))];
    try {
      let out: Tensor[] = [];
      const delta = liveDelta(b, () => {
        const { value, grads } = b.valueAndGrad(([p, q]) => b.sum(b.tanh(b.matmul(p!, q!)), [0, 1]), xs);
        out = [value, ...grads];
      });
      assertDelta('valueAndGrad outside tidy (value + 2 grads)', delta, 3);
      b.dispose(out);
      const unused = liveDelta(b, () =>
        b.tidy(() => {
          const { grads } = b.valueAndGrad(([p]) => b.sum(b.mul(p!, p!), [0, 1]), xs);
          assertClose('gradient of an input f never uses is zero', b.toHost(grads[1]!), new Float32Array(8));
        }),
      );
      assertDelta('valueAndGrad inside tidy', unused, 0);
    } finally {
      b.dispose(xs);
    }
  },
};

const dropoutSeeded: ConformanceCheck = {
  name: 'dropout: deterministic per seed, drops about rate of the values, scales the rest by 1/(1 - rate)',
  run: (b) =>
    b.tidy(() => {
      const n = 4096;
      const rate = 0.25;
      const ones = b.fromHost(fill([64, 64], 1));
      const a = Float32Array.from(b.toHost(b.dropout(ones, rate, 1234)).data);
      const again = b.toHost(b.dropout(ones, rate, 1234)).data;
      const other = b.toHost(b.dropout(ones, rate, 4321)).data;
      assertClose('dropout twice with the same seed', float32([n], again), a, { rtol: 0, atol: 0 });
      assertTrue(
        a.some((v, i) => v !== other[i]),
        'dropout with seeds 1234 and 4321 gave the same mask',
      );
      const dropped = a.filter((v) => v === 0).length / n;
      assertTrue(Math.abs(dropped - rate) < 0.05, `dropout(rate ${rate}) zeroed ${(dropped * 100).toFixed(1)}% of 4096 values`);
      const wrong = a.find((v) => v !== 0 && Math.abs(v - 1 / (1 - rate)) > 1e-6);
      assertTrue(wrong === undefined, `dropout kept a value as ${wrong}, expected 0 or ${1 / (1 - rate)}`);
      const mean = a.reduce((s, v) => s + v, 0) / n;
      assertTrue(Math.abs(mean - 1) < 0.07, `dropout changed the mean of ones to ${mean.toFixed(3)}; inverted dropout keeps it near 1`);
      assertClose('dropout(rate 0) is the identity', b.toHost(b.dropout(ones, 0, 5)), fill([64, 64], 1));
      const { grads } = b.valueAndGrad(([x]) => b.sum(b.dropout(x!, rate, 1234), [0, 1]), [ones]);
      assertClose("gradient of sum(dropout(x)) is the same seed's mask, scaled", float32([n], b.toHost(grads[0]!).data), a, {
        rtol: 0,
        atol: 1e-6,
      });
    }),
};

function assertDelta(what: string, delta: number, expected: number): void {
  assertTrue(delta === expected, `${what}: live tensors changed by ${delta}, expected ${expected}`);
}

export function memoryChecks(): ConformanceCheck[] {
  return [tidyFrees, valueAndGradOwnership, dropoutSeeded];
}
