// Block tiling of host matrices and vectors: the building blocks of every HyperCloning rule.
// Not the per-parameter rules (clone-rules.ts) and not noise (clone-noise.ts).

export interface TileMatrixOptions {
  /** Source shape [rows, cols]. */
  rows: number;
  cols: number;
  /** Copies along the output (row) and input (column) dimensions. */
  nOut: number;
  nIn: number;
  /** Multiplies every copied block (1/nIn for a hidden linear layer, 1 for an embedding). */
  scale: number;
  /** Only the diagonal blocks (r, r) get the source, unscaled; the rest are zero (needs nOut == nIn). */
  diagonal?: boolean;
  /** Per input block c, its own factor instead of `scale` (LEMON's unequal split; nIn of them). */
  shares?: readonly number[];
}

/** tile(W, nOut, nIn) · scale (input block c · shares[c] when given), or the block diagonal of W: [rows·nOut, cols·nIn] row-major. */
export function tileMatrix(src: Float32Array, o: TileMatrixOptions): Float32Array {
  const { rows, cols, nOut, nIn } = o;
  if (src.length !== rows * cols) throw new Error(`tileMatrix: source holds ${src.length} values, not ${rows}x${cols}`);
  if (o.diagonal && nOut !== nIn) throw new Error(`tileMatrix: a block diagonal needs nOut == nIn (got ${nOut} and ${nIn})`);
  if (o.shares) return tileShares(src, o, o.shares);
  const scale = o.diagonal ? 1 : o.scale;
  const outCols = cols * nIn;
  const out = new Float32Array(rows * nOut * outCols); // (rows·nOut, cols·nIn)
  for (let r = 0; r < nOut; r++) {
    for (let i = 0; i < rows; i++) {
      const start = (r * rows + i) * outCols;
      // write the scaled row once, then copy it into the row's other blocks (no scaled temporary)
      const first = start + (o.diagonal ? r : 0) * cols;
      for (let j = 0; j < cols; j++) out[first + j] = src[i * cols + j]! * scale;
      if (o.diagonal) continue;
      for (let c = 1; c < nIn; c++) out.copyWithin(start + c * cols, first, first + cols);
    }
  }
  return out;
}

/** [v; v; ...; v]: n copies end to end (x.repeat(n)). */
export function tileVector(src: Float32Array, n: number): Float32Array {
  const out = new Float32Array(src.length * n);
  for (let r = 0; r < n; r++) out.set(src, r * src.length);
  return out;
}

/** tile(W, nOut, nIn) with input block c times shares[c]. */
function tileShares(src: Float32Array, o: TileMatrixOptions, shares: readonly number[]): Float32Array {
  const { rows, cols, nOut, nIn } = o;
  if (shares.length !== nIn || o.diagonal) throw new Error(`tileMatrix: shares need ${nIn} factors and no diagonal (got ${shares.length})`);
  const outCols = cols * nIn;
  const out = new Float32Array(rows * nOut * outCols);
  for (let r = 0; r < nOut; r++) {
    for (let i = 0; i < rows; i++) {
      const start = (r * rows + i) * outCols;
      for (let c = 0; c < nIn; c++) {
        const share = shares[c]!;
        for (let j = 0; j < cols; j++) out[start + c * cols + j] = src[i * cols + j]! * share;
      }
    }
  }
  return out;
}
