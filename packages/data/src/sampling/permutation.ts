// A seeded pseudo-random permutation of [0, n) in O(1) memory (Feistel network + cycle walking),
// so an epoch over billions of windows needs no shuffled index array. Not cryptographic.

import { mix32, streamRng } from './stream-rng.js';

const ROUNDS = 6;

export class Permutation {
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly keys: number[];

  constructor(
    readonly size: number,
    seed: number,
    tag: string,
    index = 0,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`permutation size must be a positive integer (got ${size})`);
    const bits = Math.max(2, Math.ceil(Math.log2(size)));
    this.halfBits = Math.ceil(bits / 2);
    if (this.halfBits > 26) throw new Error(`permutation size ${size} is too large (at most 2^52)`);
    this.mask = 2 ** this.halfBits - 1;
    const rng = streamRng(seed, tag, index);
    this.keys = Array.from({ length: ROUNDS }, () => rng.nextU32());
  }

  /** The image of i in [0, size). */
  at(i: number): number {
    if (!(i >= 0 && i < this.size && Number.isInteger(i))) throw new RangeError(`permutation index ${i} is outside [0, ${this.size})`);
    let x = i;
    do x = this.feistel(x);
    while (x >= this.size);
    return x;
  }

  private feistel(x: number): number {
    const scale = this.mask + 1;
    let left = Math.floor(x / scale);
    let right = x % scale;
    for (const key of this.keys) {
      const f = mix32((right ^ key) >>> 0) & this.mask;
      [left, right] = [right, (left ^ f) >>> 0];
    }
    return left * scale + right;
  }
}
