// Which documents go to the validation split: a seeded systematic sample (of n documents, n x fraction
// rounded down or up, evenly spread), decided per document as it streams by. Not the tail fallback (val-from-tail.ts).

import { streamRng } from '../sampling/stream-rng.js';

export class ValSelector {
  private readonly phase: number;
  private index = 0;

  constructor(
    readonly fraction: number,
    seed: number,
  ) {
    if (!(fraction >= 0 && fraction < 1)) throw new Error(`valFraction must be in [0, 1) (got ${fraction})`);
    this.phase = streamRng(seed, 'val-split', 0).uniform();
  }

  /** True when the next document goes to validation. */
  next(): boolean {
    const i = this.index++;
    return Math.floor((i + 1) * this.fraction + this.phase) > Math.floor(i * this.fraction + this.phase);
  }
}
