// Conformance of the required ops on small cases against host math: broadcasting, negative axes,
// keepDims, batched matmul with transposes, gather/oneHot, concat/slice. Not gradients (grad-checks.ts).

import type { Backend, Tensor } from '../backend.js';
import { float32, int32, type HostTensor } from '../host-tensor.js';
import { Rng } from '../rng.js';
import { assertClose, assertDtype, assertEqualValues, assertShape, type ConformanceCheck } from './assert.js';
import {
  argmaxOf,
  binaryHost,
  concatHost,
  mapHost,
  matmulHost,
  maxOf,
  randn,
  reduceHost,
  sliceHost,
  sumOf,
  transposeHost,
  uniform,
} from './host-ops.js';
import { erfHost } from './host-nn.js';

/** Runs body in a tidy, with host -> device upload and device -> host download at hand. */
function opCheck(
  name: string,
  body: (b: Backend, up: (h: HostTensor) => Tensor, down: (t: Tensor) => HostTensor) => void,
): ConformanceCheck {
  return {
    name,
    run: (b) =>
      b.tidy(() =>
        body(
          b,
          (h) => b.fromHost(h),
          (t) => b.toHost(t),
        ),
      ),
  };
}

export function opChecks(): ConformanceCheck[] {
  return [
    hostIo(),
    binaryBroadcast(),
    unary(),
    equalAndCast(),
    reductions(),
    layout(),
    concatSlice(),
    gatherOneHot(),
    matmul2d(),
    matmulBatched(),
  ];
}

const hostIo = () =>
  opCheck('host I/O: fromHost/toHost/shape/dtype/scalar round-trip', (b, up, down) => {
    const f = float32([2, 3], [1.5, -2, 0, 3.25, 1e-7, -1e6]);
    const i = int32([3], [7, -1, 2147483647]);
    const [ft, it] = [up(f), up(i)];
    assertShape('shape(float32 [2, 3])', b.shape(ft), [2, 3]);
    assertDtype('dtype(float32)', b.dtype(ft), 'float32');
    assertDtype('dtype(int32)', b.dtype(it), 'int32');
    assertEqualValues('toHost(fromHost(float32))', down(ft), f.data);
    assertEqualValues('toHost(fromHost(int32))', down(it), i.data);
    assertDtype('toHost(int32).dtype', down(it).dtype, 'int32');
    const s = b.scalar(2.5);
    assertShape('shape(scalar)', b.shape(s), []);
    assertEqualValues('scalar(2.5)', down(s), [2.5]);
  });

const binaryBroadcast = () =>
  opCheck('add/sub/mul/div broadcast like NumPy', (b, up, down) => {
    const rng = new Rng(11);
    const x = randn(rng, [2, 3, 4]);
    const others = [randn(rng, [4]), randn(rng, [3, 1]), randn(rng, [2, 1, 4]), randn(rng, [1, 3, 1]), float32([], [1.75])];
    const ops: [string, (a: Tensor, c: Tensor) => Tensor, (p: number, q: number) => number][] = [
      ['add', (p, q) => b.add(p, q), (p, q) => p + q],
      ['sub', (p, q) => b.sub(p, q), (p, q) => p - q],
      ['mul', (p, q) => b.mul(p, q), (p, q) => p * q],
      ['div', (p, q) => b.div(p, q), (p, q) => p / q],
    ];
    for (const y0 of others) {
      const y = mapHost(y0, (v) => (Math.abs(v) < 0.5 ? v + Math.sign(v || 1) : v)); // keep divisors off zero
      for (const [name, op, host] of ops) {
        const tag = `${name}([2, 3, 4], [${y.shape.join(', ')}])`;
        assertClose(tag, down(op(up(x), up(y))), binaryHost(x, y, host));
        assertClose(`${name}([${y.shape.join(', ')}], [2, 3, 4])`, down(op(up(y), up(x))), binaryHost(y, x, host));
      }
    }
  });

const unary = () =>
  opCheck('neg/exp/log/sqrt/tanh/sigmoid/erf/relu elementwise', (b, up, down) => {
    const rng = new Rng(12);
    const x = randn(rng, [3, 5]);
    const pos = uniform(rng, [3, 5], 0.05, 4);
    assertClose(
      'neg',
      down(b.neg(up(x))),
      mapHost(x, (v) => -v),
    );
    assertClose('exp', down(b.exp(up(x))), mapHost(x, Math.exp));
    assertClose('log', down(b.log(up(pos))), mapHost(pos, Math.log));
    assertClose('sqrt', down(b.sqrt(up(pos))), mapHost(pos, Math.sqrt));
    assertClose('tanh', down(b.tanh(up(x))), mapHost(x, Math.tanh));
    assertClose(
      'sigmoid',
      down(b.sigmoid(up(x))),
      mapHost(x, (v) => 1 / (1 + Math.exp(-v))),
    );
    const wide = randn(rng, [4, 6], 2); // erf's tails too
    assertClose('erf', down(b.erf(up(wide))), mapHost(wide, erfHost), { rtol: 1e-5, atol: 1e-6 });
    assertClose(
      'relu',
      down(b.relu(up(x))),
      mapHost(x, (v) => Math.max(v, 0)),
    );
  });

const equalAndCast = () =>
  opCheck('equal gives float32 1/0 (broadcast, int32 and float32); cast truncates toward zero', (b, up, down) => {
    const eqF = b.equal(up(float32([2, 3], [1, 2, 3, 4, 2, 6])), up(float32([3], [1, 2, 9])));
    assertDtype('equal(float32).dtype', b.dtype(eqF), 'float32');
    assertEqualValues('equal(float32 [2, 3], float32 [3])', down(eqF), [1, 1, 0, 0, 1, 0]);
    const eqI = b.equal(up(int32([4], [5, -1, 0, -1])), up(int32([], [-1])));
    assertDtype('equal(int32).dtype', b.dtype(eqI), 'float32');
    assertEqualValues('equal(int32 [4], int32 scalar -1)', down(eqI), [0, 1, 0, 1]);
    const toInt = b.cast(up(float32([4], [2.7, -1.5, 0.2, 3])), 'int32');
    assertDtype('cast(float32 -> int32).dtype', b.dtype(toInt), 'int32');
    assertEqualValues('cast(float32 -> int32)', down(toInt), [2, -1, 0, 3]);
    const toFloat = b.cast(up(int32([3], [4, -2, 0])), 'float32');
    assertDtype('cast(int32 -> float32).dtype', b.dtype(toFloat), 'float32');
    assertEqualValues('cast(int32 -> float32)', down(toFloat), [4, -2, 0]);
  });

const reductions = () =>
  opCheck('sum/max/argmax with negative axes, axis lists and keepDims', (b, up, down) => {
    const x = randn(new Rng(13), [2, 3, 4]);
    const cases: [number | number[], number[], boolean][] = [
      [1, [1], false],
      [-1, [2], false],
      [-1, [2], true],
      [0, [0], true],
      [[0, 2], [0, 2], false],
      [[-1, -3], [0, 2], true],
      [[0, 1, 2], [0, 1, 2], false],
    ];
    for (const [axis, axes, keep] of cases) {
      const tag = `sum(axis ${JSON.stringify(axis)}, keepDims ${keep})`;
      assertClose(tag, down(b.sum(up(x), axis, keep)), reduceHost(x, axes, keep, sumOf));
    }
    for (const [axis, keep] of [
      [1, false],
      [-1, true],
      [-3, false],
    ] as const) {
      const positive = axis < 0 ? axis + 3 : axis;
      assertClose(`max(axis ${axis}, keepDims ${keep})`, down(b.max(up(x), axis, keep)), reduceHost(x, [positive], keep, maxOf));
      const am = b.argmax(up(x), axis);
      assertDtype(`argmax(axis ${axis}).dtype`, b.dtype(am), 'int32');
      assertClose(`argmax(axis ${axis})`, down(am), reduceHost(x, [positive], false, argmaxOf));
    }
  });

const layout = () =>
  opCheck('reshape (with -1) and transpose (3-D, 4-D)', (b, up, down) => {
    const x = randn(new Rng(14), [2, 3, 4]);
    const r = b.reshape(up(x), [4, -1]);
    assertShape('reshape([2, 3, 4] -> [4, -1])', b.shape(r), [4, 6]);
    assertEqualValues('reshape keeps row-major order', down(r), x.data);
    assertClose('transpose [2, 0, 1]', down(b.transpose(up(x), [2, 0, 1])), transposeHost(x, [2, 0, 1]));
    const y = randn(new Rng(15), [2, 3, 4, 5]);
    assertClose('transpose [0, 2, 1, 3]', down(b.transpose(up(y), [0, 2, 1, 3])), transposeHost(y, [0, 2, 1, 3]));
    assertClose('transpose [3, 1, 0, 2]', down(b.transpose(up(y), [3, 1, 0, 2])), transposeHost(y, [3, 1, 0, 2]));
  });

const concatSlice = () =>
  opCheck('slice and concat on inner and outer axes', (b, up, down) => {
    const rng = new Rng(16);
    const x = randn(rng, [2, 3, 4, 6]);
    assertClose(
      'slice [0,1,0,3] size [2,2,4,3]',
      down(b.slice(up(x), [0, 1, 0, 3], [2, 2, 4, 3])),
      sliceHost(x, [0, 1, 0, 3], [2, 2, 4, 3]),
    );
    assertClose(
      'slice [1,0,2,0] size [1,3,1,6]',
      down(b.slice(up(x), [1, 0, 2, 0], [1, 3, 1, 6])),
      sliceHost(x, [1, 0, 2, 0], [1, 3, 1, 6]),
    );
    const parts = [randn(rng, [2, 1, 3]), randn(rng, [2, 4, 3]), randn(rng, [2, 2, 3])];
    assertClose('concat axis 1', down(b.concat(parts.map(up), 1)), concatHost(parts, 1));
    const lasts = [randn(rng, [2, 3, 2]), randn(rng, [2, 3, 5])];
    assertClose('concat axis 2 (last)', down(b.concat(lasts.map(up), 2)), concatHost(lasts, 2));
    const same = randn(rng, [1, 2, 3]);
    assertClose('concat of one tensor with itself, axis 0', down(b.concat([up(same), up(same)], 0)), concatHost([same, same], 0));
  });

const gatherOneHot = () =>
  opCheck('gather rows at int32 indices of any shape; oneHot (out of range -> zeros)', (b, up, down) => {
    const table = randn(new Rng(17), [5, 3]);
    const idx = int32([2, 3], [4, 0, 4, 1, 2, 0]);
    const g = b.gather(up(table), up(idx));
    assertShape('gather([5, 3], [2, 3])', b.shape(g), [2, 3, 3]);
    const expected = Array.from(idx.data).flatMap((r) => Array.from(table.data.subarray(r * 3, r * 3 + 3)));
    assertClose('gather values', down(g), expected);
    const oh = b.oneHot(up(int32([2, 3], [0, 3, 1, -1, 4, 3])), 4);
    assertShape('oneHot([2, 3], 4)', b.shape(oh), [2, 3, 4]);
    assertDtype('oneHot dtype', b.dtype(oh), 'float32');
    assertEqualValues('oneHot values', down(oh), [1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

const matmul2d = () =>
  opCheck('matmul 2-D with every transpose combination', (b, up, down) => {
    const rng = new Rng(18);
    const a = randn(rng, [3, 5]);
    const c = randn(rng, [5, 4]);
    const aT = transposeHost(a, [1, 0]);
    const cT = transposeHost(c, [1, 0]);
    const expected = matmulHost(a, c);
    assertClose('matmul(a, b)', down(b.matmul(up(a), up(c))), expected);
    assertClose('matmul(aT, b, transposeA)', down(b.matmul(up(aT), up(c), true, false)), expected);
    assertClose('matmul(a, bT, transposeB)', down(b.matmul(up(a), up(cT), false, true)), expected);
    assertClose('matmul(aT, bT, both)', down(b.matmul(up(aT), up(cT), true, true)), expected);
  });

const matmulBatched = () =>
  opCheck('matmul batched over rank-3 and rank-4 leading dimensions, with transposes', (b, up, down) => {
    const rng = new Rng(19);
    const q = randn(rng, [2, 3, 4, 5]); // (B, H, T, D)
    const k = randn(rng, [2, 3, 6, 5]); // (B, H, Tk, D)
    assertClose('matmul rank 4, transposeB', down(b.matmul(up(q), up(k), false, true)), matmulHost(q, k, false, true));
    const p = randn(rng, [2, 3, 4, 6]);
    const v = randn(rng, [2, 3, 6, 5]);
    assertClose('matmul rank 4', down(b.matmul(up(p), up(v))), matmulHost(p, v));
    const x = randn(rng, [3, 5, 2]);
    const y = randn(rng, [3, 5, 4]);
    assertClose('matmul rank 3, transposeA', down(b.matmul(up(x), up(y), true, false)), matmulHost(x, y, true, false));
    const xt = randn(rng, [3, 2, 5]);
    const yt = randn(rng, [3, 4, 2]);
    assertClose('matmul rank 3, both transposed', down(b.matmul(up(xt), up(yt), true, true)), matmulHost(xt, yt, true, true));
    assertShape('matmul rank 3 shape', b.shape(b.matmul(up(xt), up(yt), true, true)), [3, 5, 4]);
  });
