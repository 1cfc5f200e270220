// Ranks.decide in a group: rank 0's value, or rank 0's error, reaches every rank through the group's store.
// Two ranks share an in-memory store here (decide uses nothing else of the group); the collectives are
// backend-torch's tests and the CLI's distributed runs.

import type { Backend, GroupStore, ProcessGroup } from '@hyperclone/core';
import { describe, expect, it } from 'vitest';
import { ranksOf } from '../src/distributed/ranks.js';

/** Two ranks of one group whose store is a Map: rank 0 must set a key before rank 1 reads it. */
function twoRanks() {
  const values = new Map<string, string>();
  const store: GroupStore = {
    set: (key, value) => void values.set(key, value),
    get: (key) => {
      const value = values.get(key);
      if (value === undefined) throw new Error(`store: ${key} was never set`);
      return value;
    },
    add: () => {
      throw new Error('not used');
    },
    check: (keys) => keys.every((k) => values.has(k)),
  };
  const group = (rank: number) => ({ rank, worldSize: 2, store }) as unknown as ProcessGroup;
  const backend = {} as Backend;
  return [ranksOf(group(0), backend), ranksOf(group(1), backend)] as const;
}

describe('Ranks.decide in a group', () => {
  it("gives every rank rank 0's value, in the order the ranks ask", () => {
    const [zero, one] = twoRanks();
    let asked = 0;
    expect(zero.decide(() => ({ mode: 'fresh', runs: [1, 2] }))).toEqual({ mode: 'fresh', runs: [1, 2] });
    expect(zero.decide(() => undefined)).toBeUndefined();
    expect(one.decide(() => (asked++, { mode: 'resume', runs: [] }))).toEqual({ mode: 'fresh', runs: [1, 2] });
    expect(one.decide(() => (asked++, 7))).toBeUndefined();
    expect(asked).toBe(0); // the others never decide
  });

  it("rank 0's error is thrown on every rank, with its message (none waits for a value that never comes)", () => {
    const [zero, one] = twoRanks();
    const refusal = '/tmp/b is not empty and holds no benchmark (no bench.json); choose a new or empty folder';
    expect(() =>
      zero.decide(() => {
        throw new Error(refusal);
      }),
    ).toThrow(refusal);
    expect(() => one.decide(() => 'never')).toThrow(refusal);
  });
});
