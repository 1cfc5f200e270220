// Seeded random streams addressed by (seed, tag, index), so a sampler can jump to any step and
// uniform integers below 2^53. Not a new generator: it seeds core's Rng (xoshiro128**).

import { hashString, Rng } from '@hyperclone/core';

/** murmur3's 32-bit finalizer: a bijection on uint32 that mixes all bits. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * An Rng whose 128-bit state is an injective function of (seed, tag, index): different indices
 * never share a stream (index up to 2^53).
 */
export function streamRng(seed: number, tag: string, index: number): Rng {
  const t = hashString(tag);
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  const s: [number, number, number, number] = [
    mix32((seed ^ t) >>> 0),
    mix32(lo),
    mix32((hi ^ 0x9e3779b9) >>> 0),
    mix32((seed + t + 0x6a09e667) >>> 0),
  ];
  if (s.every((v) => v === 0)) s[0] = 1;
  const rng = new Rng({ s, spareNormal: null });
  for (let i = 0; i < 8; i++) rng.nextU32(); // warm-up: spread the structured seed
  return rng;
}

/** Uniform integer in [0, n) for n up to 2^53 (two draws when n exceeds 2^32). */
export function randomBelow(rng: Rng, n: number): number {
  if (n <= 4294967296) return Math.floor((rng.nextU32() / 4294967296) * n);
  const hi = rng.nextU32() >>> 11; // 21 bits
  const lo = rng.nextU32();
  return Math.floor(((hi * 4294967296 + lo) / 9007199254740992) * n);
}
