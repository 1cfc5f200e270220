// core's shard layout: every element of the tensors belongs to exactly one rank's shard, in bucket order, with
// the last rank's pieces padded. Not the collectives that move data in it (backend-torch's process-group test).

import { describe, expect, it } from 'vitest';
import { shardLayout } from '../src/index.js';

/** Which rank owns each element of each tensor, from the layouts of every rank. */
function owners(numels: number[], worldSize: number, bucketElements: number): number[][] {
  const own = numels.map((n) => Array<number>(n).fill(-1));
  for (let rank = 0; rank < worldSize; rank++) {
    for (const s of shardLayout(numels, worldSize, rank, bucketElements).segments) {
      for (let i = s.start; i < s.start + s.length; i++) {
        expect(own[s.tensor]![i]).toBe(-1); // nobody else's
        own[s.tensor]![i] = rank;
      }
    }
  }
  return own;
}

describe('shardLayout', () => {
  it('cuts each bucket into equal pieces, rank r owning piece r; the last piece is padded', () => {
    // buckets of at most 11 elements: [6, 5], [1], [16] -> pieces of 6, 1 and 8
    const zero = shardLayout([6, 5, 1, 16], 2, 0, 11);
    const one = shardLayout([6, 5, 1, 16], 2, 1, 11);
    expect(zero.bucketCounts).toEqual([2, 1, 1]);
    expect(zero.shardNumel).toBe(15);
    expect(one.shardNumel).toBe(15);
    expect(zero.segments).toEqual([
      { tensor: 0, start: 0, length: 6, shardOffset: 0 },
      { tensor: 2, start: 0, length: 1, shardOffset: 6 },
      { tensor: 3, start: 0, length: 8, shardOffset: 7 },
    ]);
    expect(one.segments).toEqual([
      { tensor: 1, start: 0, length: 5, shardOffset: 0 }, // then 1 element of padding
      { tensor: 3, start: 8, length: 8, shardOffset: 7 }, // rank 1's piece of [t2] is all padding
    ]);
  });

  it.each([1, 2, 3, 4, 7])('every element belongs to exactly one of %i ranks, and no shard is longer than its pieces', (worldSize) => {
    const numels = [12, 1, 1, 30, 7, 64, 3];
    const own = owners(numels, worldSize, 40);
    for (const row of own) expect(row.every((r) => r >= 0 && r < worldSize)).toBe(true);
    const total = numels.reduce((a, n) => a + n, 0);
    for (let rank = 0; rank < worldSize; rank++) {
      const layout = shardLayout(numels, worldSize, rank, 40);
      const owned = layout.segments.reduce((a, s) => a + s.length, 0);
      expect(owned).toBeLessThanOrEqual(layout.shardNumel);
      expect(layout.shardNumel).toBeLessThanOrEqual(Math.ceil(total / worldSize) + layout.bucketCounts.length); // at most one pad per bucket
    }
  });

  it('a tensor bigger than a bucket goes alone, and bad ranks are refused', () => {
    expect(shardLayout([3, 100, 3], 2, 0, 10).bucketCounts).toEqual([1, 1, 1]);
    expect(() => shardLayout([3], 2, 2)).toThrow('rank must be in [0, 1] (got 2)');
    expect(() => shardLayout([3], 0, 0)).toThrow('worldSize must be a positive integer (got 0)');
  });
});
