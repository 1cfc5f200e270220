// symmetryReport: the paper's symmetry metric, how alike the cloned copies inside each matrix still are.
// Not a training hook: the trainer calls it and logs the numbers.

import type { CloneInfo, ModelConfig, ParamSpec, StateDict } from '@hyperclone/core';
import { checkWeights, paramSpec } from '@hyperclone/core';
import { cloneConfig } from './clone-config.js';
import { type Growth, cloneRule } from './clone-rules.js';
import { randomOrthogonal } from './orthogonal.js';
import { rotateParam } from './rotate-weights.js';

export interface MatrixSymmetry {
  name: string;
  /** 'embeddings', 'blocks.{i}' or 'head'. */
  layer: string;
  /** How many column sub-vectors each row splits into. */
  nIn: number;
  /** Mean pairwise cosine similarity of a row's sub-vectors, averaged over rows (1 = exact copies). */
  similarity: number;
}

export interface SymmetryReport {
  matrices: MatrixSymmetry[];
  /** Mean over each layer's matrices, in model order. */
  layers: { layer: string; similarity: number }[];
  /** Mean over all matrices; null when nothing was cloned along its input (width = ffn = 1). */
  overall: number | null;
}

/**
 * For every 2-D parameter whose columns were cloned (nIn >= 2 copies): split each row into nIn equal sub-vectors,
 * take the mean pairwise cosine similarity, average over rows. A pair with a zero sub-vector
 * counts 0 (a diagonal clone's off-diagonal blocks share no direction yet). A rotated clone is
 * measured in the clone's own basis (the rotation undone first: the copies are there, only hidden),
 * and the new identity blocks of a depth growth, which are not clones of anything, are left out.
 */
export function symmetryReport(weights: StateDict, config: ModelConfig, cloneInfo: CloneInfo): SymmetryReport {
  const growth: Growth = {
    source: cloneInfo.sourceConfig,
    width: cloneInfo.width,
    ffn: cloneInfo.ffn,
    heads: cloneInfo.heads ?? cloneInfo.width,
    kvHeads: cloneInfo.kvHeads ?? null,
  };
  const expected = cloneConfig(growth, cloneInfo.tie ?? 'keep');
  const sourceBlocks = cloneInfo.depth?.sourceBlocks ?? null;
  if (
    expected.dModel !== config.dModel ||
    expected.dFF !== config.dFF ||
    expected.nHead !== config.nHead ||
    (sourceBlocks?.length ?? expected.nLayer) !== config.nLayer
  ) {
    throw new Error(
      `symmetryReport: the model (dModel ${config.dModel}, dFF ${config.dFF}) is not a ${cloneInfo.width}x/${cloneInfo.ffn}x clone of its recorded source ` +
        `(dModel ${cloneInfo.sourceConfig.dModel}, dFF ${cloneInfo.sourceConfig.dFF}); pass the clone info of the last cloning step`,
    );
  }
  checkWeights(config, weights, 'symmetryReport weights');
  const specs = new Map(paramSpec(config).map((s) => [s.name, s]));
  const matrices: MatrixSymmetry[] = [];
  const q = cloneInfo.rotate ? randomOrthogonal(config.dModel, cloneInfo.seed) : null;
  for (const [name, t] of weights) {
    const spec = specs.get(name)!;
    if (spec.axes.length !== 2) continue;
    if (spec.block !== null && sourceBlocks && sourceBlocks[spec.block] === null) continue; // a new identity block
    const nIn = cloneRule(spec, growth).copies[1]!; // copies along the columns
    if (nIn < 2) continue;
    const [rows, cols] = t.shape as [number, number];
    const data = q
      ? rotateParam(spec, { shape: [...t.shape], data: Float64Array.from(t.data as Float32Array) }, q, 'inverse').data
      : t.data;
    matrices.push({ name, layer: layerOf(spec), nIn, similarity: rowSymmetry(data as Float32Array | Float64Array, rows, cols, nIn) });
  }
  const layers = [...new Set(matrices.map((m) => m.layer))].map((layer) => ({
    layer,
    similarity: mean(matrices.filter((m) => m.layer === layer).map((m) => m.similarity)),
  }));
  return { matrices, layers, overall: matrices.length ? mean(matrices.map((m) => m.similarity)) : null };
}

/** The blocks by index; outside them, the head is the one weight that reads the stream, the rest are embeddings. */
function layerOf(spec: ParamSpec): string {
  if (spec.block !== null) return `blocks.${spec.block}`;
  return spec.stream === 'reads' ? 'head' : 'embeddings';
}

/** Mean over rows of the mean pairwise cosine between a row's nIn sub-vectors of length cols/nIn. */
function rowSymmetry(data: Float32Array | Float64Array, rows: number, cols: number, nIn: number): number {
  const len = cols / nIn;
  const norms = new Float64Array(nIn);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let a = 0; a < nIn; a++) norms[a] = Math.sqrt(dot(data, row + a * len, row + a * len, len));
    let sum = 0;
    for (let a = 0; a < nIn; a++) {
      for (let b = a + 1; b < nIn; b++) {
        const denom = norms[a]! * norms[b]!;
        sum += denom > 0 ? dot(data, row + a * len, row + b * len, len) / denom : 0;
      }
    }
    total += sum / ((nIn * (nIn - 1)) / 2);
  }
  return rows > 0 ? total / rows : 0;
}

function dot(x: Float32Array | Float64Array, a: number, b: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += x[a + j]! * x[b + j]!;
  return s;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
