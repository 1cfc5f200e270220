// sampleFromLogits on host logits: greedy at temperature 0, top-k restricted to the k best, seeded and repeatable.
// Not generation through a model (the CLI's sample command tests run that).
import { describe, expect, it } from 'vitest';
import { Rng, sampleFromLogits } from '../src/index.js';

describe('sampleFromLogits', () => {
  const logits = Float32Array.from([0.1, 3, -1, 2.5, 0]);

  it('temperature 0 is greedy', () => {
    expect(sampleFromLogits(logits, { temperature: 0 }, new Rng(1))).toBe(1);
  });

  it('top-k 1 always picks the arg-max, whatever the seed', () => {
    for (let seed = 0; seed < 20; seed++) expect(sampleFromLogits(logits, { topK: 1 }, new Rng(seed))).toBe(1);
  });

  it('top-k 2 only ever picks the two best tokens, in proportion to their probabilities', () => {
    const rng = new Rng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const t = sampleFromLogits(logits, { topK: 2 }, rng);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 3]);
    const p1 = 1 / (1 + Math.exp(2.5 - 3)); // 0.622
    expect(counts.get(1)! / 4000).toBeCloseTo(p1, 1);
  });

  it('the same seed gives the same samples', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => sampleFromLogits(logits, { temperature: 1.5 }, rng));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });

  it('rejects a negative temperature', () => {
    expect(() => sampleFromLogits(logits, { temperature: -1 }, new Rng(0))).toThrow(/temperature must be >= 0/);
  });
});
