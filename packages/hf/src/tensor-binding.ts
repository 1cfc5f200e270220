// How one Hugging Face tensor holds one or more of our parameters, both directions, every shape asserted.
// Not which tensors a family has (families/*.ts list their bindings) and not file I/O.

import type { HostTensor } from '@hyperclone/core';
import { hostTensor, numel } from '@hyperclone/core';

/**
 * same: identical layout. transpose: GPT-2's Conv1D stores [in, out] for our [out, in].
 * stack: the parts one after another along the first axis (a fused projection's rows, or its bias).
 * stack-transposed: stacked, then transposed (GPT-2's c_attn weight [C, 3C] = [qᵀ kᵀ vᵀ]).
 * per-head: GPT-NeoX's query_key_value: for each head h the rows of q_h, then k_h, then v_h.
 */
export type Layout = 'same' | 'transpose' | 'stack' | 'stack-transposed' | 'per-head';

export interface TensorBinding {
  /** The Hugging Face tensor's name. */
  hf: string;
  /** Its shape for this config. */
  hfShape: number[];
  /** Our parameters it holds, in order. */
  ours: string[];
  layout: Layout;
  /** per-head only: rows per head of each part (head_dim). */
  headDim?: number;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

function assertShape(what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i]))
    throw new Error(`${what} has shape ${shapeText(actual)} but the config says ${shapeText(expected)}`);
}

/** [rows, cols] of a 1-D or 2-D shape (a vector is one column). */
const rowsCols = (shape: readonly number[]): [number, number] => [shape[0]!, shape.length === 2 ? shape[1]! : 1];

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Our parts from the Hugging Face tensor `t`, checked against the binding's shape and each part's. */
export function fromHf(b: TensorBinding, t: HostTensor, ourShapes: readonly (readonly number[])[], source: string): HostTensor[] {
  assertShape(`tensor "${b.hf}" in ${source}`, t.shape, b.hfShape);
  const data = t.data as Float32Array;
  if (b.layout === 'same') return [hostTensor(ourShapes[0]!, data)];
  if (b.layout === 'transpose') return [hostTensor(ourShapes[0]!, transpose(data, t.shape[0]!, t.shape[1]!))];
  const stacked = b.layout === 'stack-transposed' ? transpose(data, t.shape[0]!, t.shape[1]!) : data; // rows = parts' rows
  const cols = rowsCols(ourShapes[0]!)[1];
  const parts = ourShapes.map((s) => new Float32Array(numel(s)));
  if (b.layout === 'per-head') {
    const rowsOf = ourShapes.map((s) => rowsCols(s)[0]);
    copyPerHead(stacked, parts, rowsOf, cols, b.headDim!, 'split');
  } else {
    let at = 0;
    for (const p of parts) {
      p.set(stacked.subarray(at, at + p.length));
      at += p.length;
    }
  }
  return parts.map((p, i) => hostTensor(ourShapes[i]!, p));
}

/** The Hugging Face tensor from our parts (each checked against the shape the config gives it). */
export function toHf(b: TensorBinding, parts: readonly HostTensor[], ourShapes: readonly (readonly number[])[]): HostTensor {
  parts.forEach((p, i) => assertShape(`parameter "${b.ours[i]}"`, p.shape, ourShapes[i]!));
  const datas = parts.map((p) => p.data as Float32Array);
  let out: Float32Array;
  if (b.layout === 'same') out = datas[0]!;
  else if (b.layout === 'transpose') out = transpose(datas[0]!, parts[0]!.shape[0]!, parts[0]!.shape[1]!);
  else {
    const cols = rowsCols(parts[0]!.shape)[1];
    const rows = parts.reduce((n, p) => n + rowsCols(p.shape)[0], 0);
    const stacked = new Float32Array(rows * cols);
    if (b.layout === 'per-head') {
      copyPerHead(
        stacked,
        datas as Float32Array[],
        parts.map((p) => rowsCols(p.shape)[0]),
        cols,
        b.headDim!,
        'join',
      );
    } else {
      let at = 0;
      for (const d of datas) {
        stacked.set(d, at);
        at += d.length;
      }
    }
    out = b.layout === 'stack-transposed' ? transpose(stacked, rows, cols) : stacked;
  }
  const result = hostTensor(b.hfShape, out);
  assertShape(`tensor "${b.hf}" built from ${b.ours.join(', ')}`, result.shape, b.hfShape);
  if (out.length !== numel(b.hfShape)) throw new Error(`tensor "${b.hf}": ${out.length} values for shape ${shapeText(b.hfShape)}`);
  return result;
}

/**
 * GPT-NeoX's fused rows: head h of the fused tensor is [part0 rows of head h; part1 ...; part2 ...],
 * each headDim rows of `cols` values. 'split' copies fused -> parts, 'join' parts -> fused.
 */
function copyPerHead(
  fused: Float32Array,
  parts: Float32Array[],
  rowsOf: number[],
  cols: number,
  headDim: number,
  dir: 'split' | 'join',
): void {
  const heads = rowsOf[0]! / headDim;
  const block = headDim * cols; // one head of one part
  let at = 0;
  for (let h = 0; h < heads; h++) {
    for (const part of parts) {
      const own = part.subarray(h * block, (h + 1) * block);
      if (dir === 'split') own.set(fused.subarray(at, at + block));
      else fused.set(own, at);
      at += block;
    }
  }
}
