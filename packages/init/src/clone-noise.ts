// Paired noise for the noisy variants: +N and -N on column blocks (2k, 2k+1) of each row-block.
// Not the tiling (tile.ts): this perturbs an already tiled matrix without changing its function.

import { Rng } from '@hyperclone/core';
import { fillNormal } from './random-init.js';

export interface PairedNoiseOptions {
  /** Block shape (the source matrix's [rows, cols]) and the block grid (nOut x nIn). */
  rows: number;
  cols: number;
  nOut: number;
  nIn: number;
  /** Mean square of the normalized block B = W / nIn: the signal power. */
  signalPower: number;
  snrDb: number;
  rng: Rng;
}

/**
 * Adds +N to block (r, 2k) and -N to block (r, 2k+1), in place, for every row-block r and pair k,
 * so each row-block's column blocks still sum to the same matrix. N is drawn fresh per (r, k) and
 * rescaled so its own mean square is exactly signalPower / 10^(snrDb/10). With odd nIn the last
 * column block gets no noise; with nIn = 1 nothing changes.
 */
export function addPairedNoise(wide: Float32Array, o: PairedNoiseOptions): void {
  const { rows, cols, nOut, nIn } = o;
  const noisePower = o.signalPower / 10 ** (o.snrDb / 10);
  const noise = new Float32Array(rows * cols); // (rows, cols): one block
  const outCols = cols * nIn;
  for (let r = 0; r < nOut; r++) {
    for (let k = 0; k < Math.floor(nIn / 2); k++) {
      fillNormal(o.rng, noise, 1);
      const gain = noisePower > 0 ? Math.sqrt(noisePower / meanSquare(noise)) : 0;
      for (let i = 0; i < rows; i++) {
        const plus = (r * rows + i) * outCols + 2 * k * cols;
        const minus = plus + cols;
        for (let j = 0; j < cols; j++) {
          const n = gain * noise[i * cols + j]!;
          wide[plus + j]! += n;
          wide[minus + j]! -= n;
        }
      }
    }
  }
}

export function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return x.length > 0 ? s / x.length : 0;
}
