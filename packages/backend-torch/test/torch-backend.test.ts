// Torch-specific behavior beyond the conformance suite: errors at the boundary, closed backends, device
// info, options, int32 paths, in-place AdamW over many tensors. Not op math (conformance.test.ts).

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { float32, int32, referenceFused, type AdamWHyper, type Tensor } from '@hyperclone/core';
import { createTorchBackend, isTorchAvailable, type TorchBackend } from '../src/index.js';
import { loadAddon, loadAddonAt } from '../src/addon.js';
import { describeTorch } from './torch-ready.js';

describeTorch('torch backend specifics', () => {
  let b: TorchBackend;
  beforeAll(async () => {
    b = await createTorchBackend({ device: 'cpu', threads: 2 });
  });
  afterAll(() => b.close());

  it('reports libtorch, the CPU model and the thread count', () => {
    expect(isTorchAvailable()).toBe(true);
    expect(b.name).toBe('torch');
    expect(b.engine).toMatch(/^libtorch \d+\.\d+\.\d+ \(cpu, 2 threads\)$/);
    expect(b.threads).toBe(2);
    expect(b.device.kind).toBe('cpu');
    expect(b.device.count).toBe(1);
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
    expect(b.device.name).toBe(model);
    expect(Object.keys(b.fused).sort()).toEqual([
      'adamw',
      'attention',
      'crossEntropy',
      'gelu',
      'geluExact',
      'layerNorm',
      'linear',
      'linearCrossEntropy',
      'logSoftmax',
      'rmsNorm',
      'silu',
      'softmax',
    ]);
  });

  it('turns libtorch exceptions into JS errors with the op and libtorch message', () => {
    b.tidy(() => {
      const a = b.fromHost(float32([2, 3], [1, 2, 3, 4, 5, 6]));
      expect(() => b.matmul(a, a)).toThrow(/^torch matmul: .*cannot be multiplied \(2x3 and 2x3\)/);
      expect(() => b.reshape(a, [4, 2])).toThrow(/^torch reshape: shape '\[4, 2\]' is invalid for input of size 6/);
      expect(() => b.concat([a, b.fromHost(float32([3], [1, 2, 3]))], 0)).toThrow(/^torch concat: /);
      expect(() => b.fromHost({ dtype: 'float32', shape: [4], data: new Float32Array(3) })).toThrow(
        /^torch fromHost: shape holds 4 values but the data has 3/,
      );
      expect(() => b.dropout(a, 1.5, 0)).toThrow(/dropout rate must be in \[0, 1\)/);
      expect(() => b.valueAndGrad(([x]) => b.mul(x!, x!), [a])).toThrow(
        /valueAndGrad needs f to return a scalar; it returned shape \[2, 3\]/,
      );
      expect(() => b.tidy(() => Promise.resolve() as never)).toThrow(/tidy cannot take an async function/);
    });
  });

  it('measures memory: the table counts views of one storage once; the allocator its bytes in use and their peak', () => {
    const MB4 = 1 << 20; // float32 elements in 4 MiB
    const before = b.liveBytes();
    const x = b.fromHost(float32([MB4], new Float32Array(MB4)));
    const view = b.reshape(x, [1024, 1024]); // the same storage
    expect(b.liveBytes() - before).toBe(4 * MB4);
    b.trackMemory();
    b.trackMemory(); // idempotent
    b.resetPeakMemory();
    const start = b.allocatorStats();
    const y = b.add(x, x); // 4 MiB more
    const during = b.allocatorStats();
    expect(during.allocatedBytes - start.allocatedBytes).toBeGreaterThanOrEqual(4 * MB4);
    expect(during.allocatedBytes - start.allocatedBytes).toBeLessThan(4 * MB4 + 4096);
    b.dispose([y]);
    const after = b.allocatorStats();
    expect(after.allocatedBytes).toBe(start.allocatedBytes); // freed
    expect(after.peakBytes - start.allocatedBytes).toBeGreaterThanOrEqual(4 * MB4); // the peak remembers
    b.resetPeakMemory();
    expect(b.allocatorStats().peakBytes).toBe(after.allocatedBytes);
    b.dispose([x, view]);
    expect(b.liveBytes()).toBe(before);
  });

  it('a disposed tensor fails loudly, and a failed op leaks nothing', () => {
    const before = b.liveTensors();
    const x = b.fromHost(float32([2], [1, 2]));
    b.dispose(x);
    expect(() => b.toHost(x)).toThrow(/^torch toHost: tensor #\d+ was disposed/);
    expect(() => b.tidy(() => b.matmul(b.fromHost(float32([2, 2], [1, 2, 3, 4])), b.fromHost(float32([3], [1, 2, 3]))))).toThrow();
    expect(b.liveTensors()).toBe(before);
  });

  it('keeps int32 as int32 through sum, argmax, cast and gather; reads non-contiguous views', () => {
    b.tidy(() => {
      const ids = b.fromHost(int32([2, 3], [1, 2, 3, 4, 5, 6]));
      const s = b.sum(ids, 1);
      expect(b.dtype(s)).toBe('int32');
      expect(Array.from(b.toHost(s).data)).toEqual([6, 15]);
      const m = b.fromHost(float32([2, 3], [0.5, 9, -1, 7, 2, 3]));
      const arg = b.argmax(m, -1);
      expect(b.toHost(arg)).toEqual({ dtype: 'int32', shape: [2], data: Int32Array.from([1, 0]) });
      expect(Array.from(b.toHost(b.cast(b.fromHost(float32([3], [-1.7, 1.7, 2.2])), 'int32')).data)).toEqual([-1, 1, 2]);
      const t = b.transpose(m, [1, 0]);
      expect(b.toHost(t)).toEqual({ dtype: 'float32', shape: [3, 2], data: Float32Array.from([0.5, 7, 9, 2, -1, 3]) });
      expect(Array.from(b.toHost(b.slice(m, [0, 1], [-1, -1])).data)).toEqual([9, -1, 2, 3]);
      expect(b.toHost(b.sum(m, [])).data).toEqual(b.toHost(m).data);
    });
  });

  it('adamwAll updates every tensor in place exactly like the reference composition', () => {
    const hp: AdamWHyper = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 4 };
    const shapes = [[3, 4], [4], [2, 2, 2]];
    const host = (k: number, shape: number[]) =>
      float32(
        shape,
        Array.from(
          { length: shape.reduce((a, c) => a * c, 1) },
          (_, i) => Math.sin(i * 1.3 + k) * (k === 3 ? 0.1 : 1) + (k === 3 ? 0.2 : 0),
        ),
      );
    b.tidy(() => {
      const up = (k: number) => shapes.map((s) => b.fromHost(host(k, s)));
      const [ps, gs, ms, vs] = [up(0), up(1), up(2), up(3)] as [Tensor[], Tensor[], Tensor[], Tensor[]];
      const ref = shapes.map((_, i) =>
        referenceFused(b)
          .adamw(ps[i]!, gs[i]!, ms[i]!, vs[i]!, hp)
          .map((t) => b.toHost(t)),
      );
      b.adamwAll(ps, gs, ms, vs, hp);
      shapes.forEach((_, i) => {
        [ps[i]!, ms[i]!, vs[i]!].forEach((t, j) => {
          const got = b.toHost(t).data;
          const want = ref[i]![j]!.data;
          got.forEach((g, k) => expect(Math.abs(g - want[k]!)).toBeLessThan(1e-6));
        });
      });
      const [p2, m2, v2] = b.fused.adamw!(ps[0]!, gs[0]!, ms[0]!, vs[0]!, { ...hp, step: 5 });
      expect([p2, m2, v2]).toEqual([ps[0], ms[0], vs[0]]); // same handles: updated in place
    });
  });

  it("adamwAll's CPU pass gives every element the composition's float32 roundings, bit for bit, split across threads", () => {
    const hp: AdamWHyper = { lr: 3e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 7 };
    const n = 70_001; // more than one thread's share, and not a multiple of any vector width
    const f = Math.fround;
    const at = (k: number, i: number) => f(Math.sin(i * 0.37 + k) * (k === 3 ? 1e-3 : 1) + (k === 3 ? 2e-3 : 0));
    const [p0, g0, m0, v0] = [0, 1, 2, 3].map((k) => Float32Array.from({ length: n }, (_, i) => at(k, i))) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    // each of the composition's ops rounded to float32, the scalars as ATen rounds them for a float32 tensor
    const decay = f(1 - hp.lr * hp.weightDecay);
    const [b1, a1, b2, a2] = [f(hp.beta1), f(1 - hp.beta1), f(hp.beta2), f(1 - hp.beta2)];
    const rootBias2 = f(Math.sqrt(1 - hp.beta2 ** hp.step));
    const stepSize = f(-hp.lr / (1 - hp.beta1 ** hp.step));
    const want = { p: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      const g = g0[i]!;
      const m = f(f(m0[i]! * b1) + f(a1 * g));
      const v = f(f(v0[i]! * b2) + f(f(a2 * g) * g));
      const denom = f(f(f(Math.sqrt(v)) / rootBias2) + f(hp.eps));
      want.p[i] = f(f(p0[i]! * decay) + f(f(stepSize * m) / denom));
      want.m[i] = m;
      want.v[i] = v;
    }
    b.tidy(() => {
      const [p, g, m, v] = [p0, g0, m0, v0].map((d) => b.fromHost(float32([n], d))) as [Tensor, Tensor, Tensor, Tensor];
      b.adamwAll([p], [g], [m], [v], hp);
      expect(b.toHost(p).data).toEqual(want.p);
      expect(b.toHost(m).data).toEqual(want.m);
      expect(b.toHost(v).data).toEqual(want.v);
    });
  });

  it('rejects bad options and a closed backend with what to do', async () => {
    await expect(createTorchBackend({ device: 'cpu', autocast: 'bf16' })).rejects.toThrow(/needs device "cuda"/);
    await expect(createTorchBackend({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    if (loadAddon().cudaDeviceCount() === 0) {
      await expect(createTorchBackend({ device: 'cuda' })).rejects.toThrow(/no CUDA or sees no GPU/);
    }
    const other = await createTorchBackend({ threads: 2 });
    const x = other.fromHost(float32([1], [1]));
    other.close();
    expect(other.liveTensors()).toBe(0);
    expect(() => other.toHost(x)).toThrow(/this backend is closed; make a new one with createTorchBackend\(\)/);
    expect(b.toHost(b.scalar(2)).data[0]).toBe(2); // other backends are unaffected
  });

  it('names the build command when the addon file is missing', () => {
    expect(() => loadAddonAt('/nonexistent/hyperclone_torch.node')).toThrow(/not built .*npm run build:native.*libtorch-dev/);
  });
});
