// The loss of one batch and its gradients, with or without activation checkpointing: checkpointed, the forward
// keeps only the residual stream entering every N-th block, and the backward recomputes N blocks at a time
// from there inside their own gradient call, handing the stream's gradient down. Not the model (model.ts).

import type { Backend, Tensor } from './backend.js';
import type { ModelConfig } from './config.js';
import { forwardPieces, languageModelLoss, type Params } from './model.js';
import { headWeightName, paramSpec } from './param-spec.js';

/** 'none', 'blocks' (every block's input kept: recompute one block at a time) or 'every-N' (N blocks at a time). */
export type ActivationCheckpointing = 'none' | 'blocks' | `every-${number}`;

export const ACTIVATION_CHECKPOINTING_FORMS = 'none, blocks or every-N (N a positive integer)';

/** Blocks recomputed together: 0 for none (one gradient call over the whole forward), 1 for blocks. Throws on anything else. */
export function checkpointEvery(mode: string): number {
  if (mode === 'none') return 0;
  if (mode === 'blocks') return 1;
  const n = /^every-([1-9]\d*)$/.exec(mode)?.[1];
  if (n === undefined) throw new Error(`activation checkpointing must be ${ACTIVATION_CHECKPOINTING_FORMS} (got "${mode}")`);
  return Number(n);
}

export interface LossAndGradientsOptions {
  train: boolean;
  dropoutSeed: number;
  /** Blocks per recomputed segment (checkpointEvery); 0: no checkpointing. */
  every: number;
}

export interface LossAndGradients {
  /** The mean loss (0-dim). */
  value: Tensor;
  /** d loss / d params[names[i]], in `names` order. */
  grads: Tensor[];
}

/**
 * Mean cross-entropy of the model on (tokens, targets), both (B, T), and its gradients (languageModelLoss: the head and the loss as one fused classifier). With `every` = N > 0
 * the same numbers come from less memory: the forward runs without a tape, keeping the stream entering blocks
 * 0, N, 2N, ... and the head; then the head's gradient call gives the loss and the stream's gradient dy, and
 * each segment, last first, is recomputed inside a gradient call of sum(segment(x)·dy), whose gradient with
 * respect to x is the next dy (exact: the product's gradient is dy itself). The tied token embedding's two
 * gradients (head, embedding) are added as autograd adds them. Every forward piece seeds its dropout by its
 * place, so the recomputation repeats the masks.
 */
export function lossAndGradients(
  b: Backend,
  c: ModelConfig,
  params: Params,
  names: readonly string[],
  tokens: Tensor,
  targets: Tensor,
  o: LossAndGradientsOptions,
): LossAndGradients {
  const forwardOptions = { train: o.train, dropoutSeed: o.dropoutSeed };
  if (o.every === 0) {
    return b.valueAndGrad(
      (xs) => {
        const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
        return languageModelLoss(b, c, p, tokens, targets, forwardOptions); // () through the fused classifier
      },
      names.map((n) => params[n]!),
    );
  }
  const [B, T] = b.shape(tokens) as [number, number];
  const pieces = forwardPieces(b, c, B, T, forwardOptions);
  const groups = pieceParams(c, names);
  const segments: [number, number][] = [];
  for (let from = 0; from < c.nLayer; from += o.every) segments.push([from, Math.min(from + o.every, c.nLayer)]);

  // the forward without a tape: the stream entering each segment, and the head's input (one tidy per
  // segment, so that only one segment's intermediates are alive at a time)
  const inputs = [b.tidy(() => pieces.embed(params, tokens))]; // (B, T, C)
  for (const [from, to] of segments) inputs.push(b.tidy(() => pieces.blocks(params, inputs.at(-1)!, from, to))); // (B, T, C)

  const grads = new Map<string, Tensor>();
  const take = (group: readonly string[], gs: Tensor[]): void => {
    group.forEach((n, i) => {
      const previous = grads.get(n);
      if (!previous) return void grads.set(n, gs[i]!);
      grads.set(n, b.add(gs[i]!, previous)); // the tied embedding: its two uses' gradients, as autograd sums them
      b.dispose([previous, gs[i]!]);
    });
  };
  const leaves = (group: readonly string[]) => group.map((n) => params[n]!);
  const bind = (group: readonly string[], xs: Tensor[]): Params => ({ ...params, ...Object.fromEntries(group.map((n, i) => [n, xs[i]!])) });
  const dot = (y: Tensor, dy: Tensor): Tensor =>
    b.sum(
      b.mul(y, dy),
      b.shape(y).map((_, i) => i),
    ); // ()

  // the head: the loss, and the gradient of the stream leaving the last block
  const head = b.valueAndGrad(([x, ...xs]) => pieces.loss(bind(groups.head, xs), x!, targets), [inputs.at(-1)!, ...leaves(groups.head)]);
  let dy = head.grads[0]!; // (B, T, C)
  take(groups.head, head.grads.slice(1));
  b.dispose(inputs.pop()!);

  for (let s = segments.length - 1; s >= 0; s--) {
    const [from, to] = segments[s]!;
    const group = groups.blocks.slice(from, to).flat();
    const x = inputs.pop()!;
    const seg = b.valueAndGrad(([xIn, ...xs]) => dot(pieces.blocks(bind(group, xs), xIn!, from, to), dy), [x, ...leaves(group)]);
    b.dispose([x, dy, seg.value]);
    dy = seg.grads[0]!;
    take(group, seg.grads.slice(1));
  }

  const embed = b.valueAndGrad((xs) => dot(pieces.embed(bind(groups.embed, xs), tokens), dy), leaves(groups.embed));
  b.dispose([...inputs, dy, embed.value]);
  take(groups.embed, embed.grads);
  return { value: head.value, grads: names.map((n) => grads.get(n)!) };
}

/** Which of `names` each forward piece reads: the embeddings, each block's, and the head's (the tied embedding in both). */
function pieceParams(c: ModelConfig, names: readonly string[]): { embed: string[]; blocks: string[][]; head: string[] } {
  const wanted = new Set(names);
  const specs = paramSpec(c).filter((s) => wanted.has(s.name));
  if (specs.length !== wanted.size) {
    const known = new Set(specs.map((s) => s.name));
    throw new Error(`parameters not in the model: ${names.filter((n) => !known.has(n)).join(', ')}`);
  }
  const blocks = Array.from({ length: c.nLayer }, (_, i) => specs.filter((s) => s.block === i).map((s) => s.name));
  const embed = specs.filter((s) => s.kind === 'embedding').map((s) => s.name);
  const head = specs.filter((s) => s.block === null && s.kind !== 'embedding').map((s) => s.name);
  if (c.tieEmbeddings) head.push(headWeightName(c));
  return { embed, blocks, head };
}
