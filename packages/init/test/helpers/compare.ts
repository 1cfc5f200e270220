// Test helper: how far a clone's outputs are from its source's (logits, top-1, loss, hidden-state clones).
// Not a tolerance policy: the tests decide what is close enough.

import type { ModelRun } from './run-model.js';

export interface Preservation {
  maxAbsLogit: number;
  /** Largest |Δlogit| relative to the largest |logit|. */
  relLogit: number;
  top1Mismatches: number;
  lossDiff: number;
  /** Over all blocks and all n slices: largest |wide slice - source hidden|, relative to max(1, max |source hidden|); NaN when not compared. */
  maxHidden: number;
}

/** V: vocabulary; C: the source's dModel; width: how many slices each wide hidden row holds. */
export function comparePreservation(
  src: ModelRun,
  wide: ModelRun,
  V: number,
  C: number,
  width: number,
  { hidden = true } = {},
): Preservation {
  let maxAbsLogit = 0;
  let maxLogit = 0;
  for (let i = 0; i < src.logits.length; i++) {
    maxAbsLogit = Math.max(maxAbsLogit, Math.abs(src.logits[i]! - wide.logits[i]!));
    maxLogit = Math.max(maxLogit, Math.abs(src.logits[i]!));
  }
  let top1Mismatches = 0;
  for (let row = 0; row < src.logits.length / V; row++) {
    if (argmax(src.logits, row * V, V) !== argmax(wide.logits, row * V, V)) top1Mismatches++;
  }
  if (hidden && (src.hidden.length === 0 || src.hidden.length !== wide.hidden.length))
    throw new Error('hidden states were not collected for every block');
  const maxHidden = hidden ? Math.max(...src.hidden.map((h, layer) => hiddenCloneError(h, wide.hidden[layer]!, C, width))) : NaN;
  return { maxAbsLogit, relLogit: maxAbsLogit / maxLogit, top1Mismatches, lossDiff: Math.abs(src.loss - wide.loss), maxHidden };
}

/** src (N, C), wide (N, C·n): each of the n slices of every wide row must equal the source row. */
export function hiddenCloneError(src: Float32Array, wide: Float32Array, C: number, n: number): number {
  if (wide.length !== src.length * n) throw new Error(`hidden sizes ${src.length} and ${wide.length} are not a ${n}-fold clone`);
  let scale = 1;
  for (const v of src) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let row = 0; row < src.length / C; row++) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < C; c++) err = Math.max(err, Math.abs(wide[(row * n + r) * C + c]! - src[row * C + c]!));
    }
  }
  return err / scale;
}

function argmax(x: Float32Array, start: number, n: number): number {
  let best = start;
  for (let i = start + 1; i < start + n; i++) if (x[i]! > x[best]!) best = i;
  return best - start;
}
