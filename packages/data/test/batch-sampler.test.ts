// Tests of BatchSampler, Permutation and evalWindows on in-memory splits: shapes, determinism, exact resume, epochs, ranks.
// Not reading token files (arrow, legacy-formats) and not the trainer's use of the sampler.

import { describe, expect, it } from 'vitest';
import { BatchSampler, evalWindows, type TokenSplit } from '../src/index.js';
import { Permutation } from '../src/sampling/permutation.js';

/** An in-memory split whose token at position i is i (so windows are easy to check). */
function rangeSplit(length: number, name = 'train'): TokenSplit {
  const split: TokenSplit = {
    name,
    length,
    read: (start, count) => {
      const out = new Int32Array(count);
      split.readInto(start, count, out, 0);
      return out;
    },
    readInto: (start, count, out, off = 0) => {
      if (start < 0 || start + count > length) throw new RangeError('out of range');
      for (let i = 0; i < count; i++) out[off + i] = start + i;
    },
    close: () => undefined,
  };
  return split;
}

function batches(s: BatchSampler, n: number): Int32Array[] {
  return Array.from({ length: n }, () => s.next().inputs);
}

describe('BatchSampler', () => {
  const split = rangeSplit(10_000);

  it('returns [B, T] inputs with targets shifted by one', () => {
    const s = new BatchSampler(split, { batchSize: 4, seqLen: 16, seed: 1 });
    const { inputs, targets } = s.next();
    expect(inputs.length).toBe(64);
    for (let b = 0; b < 4; b++) {
      const row = inputs.subarray(b * 16, b * 16 + 16);
      for (let t = 0; t < 16; t++) {
        expect(row[t]).toBe(row[0]! + t); // a contiguous window
        expect(targets[b * 16 + t]).toBe(row[t]! + 1);
      }
      expect(row[0]! + 16).toBeLessThan(split.length);
    }
  });

  it('is deterministic for (seed, rank, worldSize) and differs across seeds', () => {
    const a = batches(new BatchSampler(split, { batchSize: 3, seqLen: 8, seed: 7 }), 5);
    const b = batches(new BatchSampler(split, { batchSize: 3, seqLen: 8, seed: 7 }), 5);
    const c = batches(new BatchSampler(split, { batchSize: 3, seqLen: 8, seed: 8 }), 5);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  for (const mode of ['random', 'epoch'] as const) {
    it(`${mode}: a restored sampler continues batch by batch like an uninterrupted one`, () => {
      const opts = { batchSize: 4, seqLen: 32, seed: 3, mode };
      const full = new BatchSampler(split, opts);
      const reference = Array.from({ length: 200 }, () => full.next());
      const first = new BatchSampler(split, opts);
      for (let i = 0; i < 77; i++) expect(first.next()).toEqual(reference[i]);
      const saved = JSON.parse(JSON.stringify(first.stateDict()));
      expect(JSON.stringify(saved).length).toBeLessThan(300);
      const resumed = new BatchSampler(split, { ...opts, state: saved });
      for (let i = 77; i < 200; i++) expect(resumed.next()).toEqual(reference[i]);
      const viaRestore = new BatchSampler(split, opts);
      viaRestore.loadStateDict(saved);
      expect(viaRestore.next()).toEqual(reference[77]);
    });
  }

  it('epoch mode visits every non-overlapping window exactly once per epoch, reshuffled each epoch', () => {
    const small = rangeSplit(1001);
    const s = new BatchSampler(small, { batchSize: 5, seqLen: 10, seed: 2, mode: 'epoch' });
    expect(s.windowsPerEpoch).toBe(100);
    const epoch = (): number[] => batches(s, 20).flatMap((x) => Array.from({ length: 5 }, (_, b) => x[b * 10]!));
    const e1 = epoch();
    const e2 = epoch();
    const all = Array.from({ length: 100 }, (_, i) => i * 10);
    expect([...e1].sort((a, b) => a - b)).toEqual(all);
    expect([...e2].sort((a, b) => a - b)).toEqual(all);
    expect(e1).not.toEqual(e2);
    expect(s.epoch).toBe(2);
  });

  it('ranks of one world partition the global batch stream', () => {
    const one = new BatchSampler(split, { batchSize: 4, seqLen: 8, seed: 5, mode: 'epoch' });
    const r0 = new BatchSampler(split, { batchSize: 2, seqLen: 8, seed: 5, mode: 'epoch', rank: 0, worldSize: 2 });
    const r1 = new BatchSampler(split, { batchSize: 2, seqLen: 8, seed: 5, mode: 'epoch', rank: 1, worldSize: 2 });
    for (let i = 0; i < 10; i++) {
      const g = one.next().inputs;
      expect(Array.from(r0.next().inputs)).toEqual(Array.from(g.subarray(0, 16)));
      expect(Array.from(r1.next().inputs)).toEqual(Array.from(g.subarray(16, 32)));
    }
  });

  it('a cursor resumes on another number of ranks with the same global batch (2 -> 1 and 1 -> 2)', () => {
    const opts = { batchSize: 4, seqLen: 8, seed: 5 };
    const one = new BatchSampler(split, opts);
    const reference = Array.from({ length: 12 }, () => one.next().inputs);
    const halves = (rank: number) => new BatchSampler(split, { ...opts, batchSize: 2, rank, worldSize: 2 });
    const [a, b] = [halves(0), halves(1)];
    for (let i = 0; i < 5; i++) [a, b].forEach((s) => s.next());
    const single = new BatchSampler(split, { ...opts, state: b.stateDict() }); // 2 -> 1, from rank 1's cursor
    for (let i = 5; i < 8; i++) expect(single.next().inputs).toEqual(reference[i]);
    const [c, d] = [halves(0), halves(1)];
    [c, d].forEach((s) => s.loadStateDict(single.stateDict())); // 1 -> 2
    for (let i = 8; i < 12; i++) expect([...c.next().inputs, ...d.next().inputs]).toEqual([...reference[i]!]);
    expect(() => new BatchSampler(split, { ...opts, batchSize: 3, rank: 0, worldSize: 2, state: single.stateDict() })).toThrow(
      'the saved state draws 4 windows a step (batchSize 4 x worldSize 1), this sampler 6 (3 x 2); resume with the same global batch',
    );
  });

  it('refuses a state from other options or other data', () => {
    const s = new BatchSampler(split, { batchSize: 2, seqLen: 8, seed: 1 });
    s.next();
    const state = s.stateDict();
    expect(() => new BatchSampler(split, { batchSize: 3, seqLen: 8, seed: 1, state })).toThrow(
      /the saved state has batchSize 2, this sampler has 3/,
    );
    expect(() => new BatchSampler(rangeSplit(5000), { batchSize: 2, seqLen: 8, seed: 1, state })).toThrow(
      /has splitLength 10000, this sampler has 5000/,
    );
    expect(() => new BatchSampler(rangeSplit(8), { batchSize: 2, seqLen: 8, seed: 1 })).toThrow(/has 8 tokens, fewer than seqLen \+ 1 = 9/);
    expect(() => new BatchSampler(split, { batchSize: 2, seqLen: 8, seed: 1, rank: 2, worldSize: 2 })).toThrow(
      /rank 2 is outside \[0, 2\)/,
    );
  });
});

describe('Permutation', () => {
  it('is a bijection of [0, n) for awkward sizes', () => {
    for (const n of [1, 2, 3, 5, 17, 1000, 4097]) {
      const p = new Permutation(n, 9, 'test');
      const seen = new Set(Array.from({ length: n }, (_, i) => p.at(i)));
      expect(seen.size).toBe(n);
      expect(Math.max(...seen)).toBe(n - 1);
    }
  });
});

describe('evalWindows', () => {
  it('is a fixed, seeded set of non-overlapping windows', () => {
    const val = rangeSplit(5000, 'val');
    const a = evalWindows(val, { count: 20, seqLen: 64, seed: 0 });
    const b = evalWindows(val, { count: 20, seqLen: 64, seed: 0 });
    const c = evalWindows(val, { count: 20, seqLen: 64, seed: 1 });
    expect(a.starts).toEqual(b.starts);
    expect(a.starts).not.toEqual(c.starts);
    expect(a.inputs.length).toBe(20 * 64);
    for (let i = 1; i < a.count; i++) expect(a.starts[i]! - a.starts[i - 1]!).toBeGreaterThanOrEqual(64);
    expect(a.targets[0]).toBe(a.inputs[0]! + 1);
    expect(a.inputs[64]).toBe(a.starts[1]);
  });

  it('returns fewer windows when the split is short, and fails when it has none', () => {
    expect(evalWindows(rangeSplit(100, 'val'), { count: 50, seqLen: 30, seed: 0 }).count).toBe(3);
    expect(() => evalWindows(rangeSplit(10, 'val'), { count: 5, seqLen: 30, seed: 0 })).toThrow(
      /val split has 10 tokens, fewer than seqLen \+ 1 = 31/,
    );
  });
});
