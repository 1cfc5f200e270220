// The parameter spec: the single source of truth for parameter names, shapes, axes, init and decay group.
// Not the initializer itself (that is @hyperclone/init) and not the forward pass (model.ts).

import type { ModelConfig } from './config.js';
import { hasBias, hasEmbedProjection, normPlacementOf, positionOffsetOf } from './config.js';

/**
 * What each dimension of a parameter runs along. Sizes for a config come from axisSizes.
 * vocab V and positions T (+ the config's position offset) index tokens; model C is the residual stream; q (H·D) and kv (K·D) are
 * the heads laid out head-major; ffn F is the MLP's hidden width; embed E is the token embedding's width
 * when it is projected into and out of the stream (OPT-350M), else the embedding runs along model.
 */
export type Axis = 'vocab' | 'positions' | 'model' | 'q' | 'kv' | 'ffn' | 'embed';

/**
 * How the forward uses a parameter.
 * embedding: a lookup table [index, out]; the looked-up row is added to the stream.
 * linear: y = x·Wᵀ with W [out, in] (PyTorch nn.Linear); the LM head is one.
 * bias: [out], added to a linear's output. norm: a LayerNorm/RMSNorm gain or bias [model], or [q] / [kv]
 * for the norms over a whole q or k projection.
 */
export type ParamKind = 'embedding' | 'linear' | 'bias' | 'norm';

/**
 * What a parameter does to the residual stream along its model axis: a linear whose input is the
 * stream reads it; an embedding, or a linear (and its bias) whose output is added to the stream,
 * writes it; a norm's gain and bias normalize it (the stream, or a branch's output on its way into
 * the stream). null: no model axis (q/kv/ffn biases, q/k norms, a projected embedding).
 */
export type StreamUse = 'reads' | 'writes' | 'normalizes';

/**
 * normal: N(0, 0.02); residual: N(0, 0.02/sqrt(2·nLayer)) for projections into the residual stream; ones and
 * zeros: a norm's gain (zeros where the gain is 1 + weight) and biases.
 */
export type InitKind = 'normal' | 'residual' | 'zeros' | 'ones';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** [out, in] for linear weights, as PyTorch nn.Linear; [index, out] for embeddings. */
  shape: number[];
  /** The axis of each dimension: shape[d] = axisSizes(config)[axes[d]]. */
  axes: Axis[];
  stream: StreamUse | null;
  /**
   * A linear that reads the stream: the norm (its name prefix, e.g. 'blocks.0.norm1') whose output it takes,
   * or null when it reads the stream as it is (the first block of a post-norm model, OLMo 2's blocks). Else null.
   */
  readsThrough: string | null;
  /** The block it belongs to; null for the embeddings, the final norm and the head. */
  block: number | null;
  init: InitKind;
  /** AdamW weight decay applies to parameters with 2+ dimensions only. */
  decay: boolean;
}

export function axisSizes(c: ModelConfig): Record<Axis, number> {
  return {
    vocab: c.vocabSize,
    positions: c.contextLength + positionOffsetOf(c),
    model: c.dModel,
    q: c.nHead * c.headDim,
    kv: c.nKvHead * c.headDim,
    ffn: c.dFF,
    embed: c.embedDim ?? 0, // no parameter runs along it without the projections
  };
}

/** The weight the LM head multiplies by: the token embedding when tied. */
export function headWeightName(c: ModelConfig): string {
  return c.tieEmbeddings ? 'tok_emb.weight' : 'lm_head.weight';
}

/** Every parameter of the model, in forward order (a state dict's order). */
export function paramSpec(c: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const size = axisSizes(c);
  let block: number | null = null; // the block the rows being added belong to
  let input: string | null = null; // the norm the readers being added take their input from
  const add = (name: string, kind: ParamKind, axes: Axis[], stream: StreamUse | null, init: InitKind): void => {
    const readsThrough = stream === 'reads' ? input : null;
    specs.push({ name, kind, shape: axes.map((a) => size[a]), axes, stream, readsThrough, block, init, decay: axes.length >= 2 });
  };
  const embedAxis: Axis = hasEmbedProjection(c) ? 'embed' : 'model';
  const embedding = (prefix: string, index: Axis, out: Axis): void =>
    add(`${prefix}.weight`, 'embedding', [index, out], out === 'model' ? 'writes' : null, 'normal');
  /** A norm over `axis`; `feeds`: its output is what the next readers take (not a q/k norm or a branch-output norm). */
  const norm = (prefix: string, axis: Axis = 'model', feeds = true): void => {
    if (feeds) input = prefix;
    if (c.normAffine === false) return;
    const stream = axis === 'model' ? 'normalizes' : null;
    add(`${prefix}.weight`, 'norm', [axis], stream, c.normGainPlusOne ? 'zeros' : 'ones');
    if (c.norm === 'layernorm' && c.bias) add(`${prefix}.bias`, 'norm', [axis], stream, 'zeros');
  };
  const linear = (prefix: string, out: Axis, inp: Axis, init: InitKind, bias: boolean): void => {
    add(`${prefix}.weight`, 'linear', [out, inp], inp === 'model' ? 'reads' : out === 'model' ? 'writes' : null, init);
    if (bias) add(`${prefix}.bias`, 'bias', [out], out === 'model' ? 'writes' : null, 'zeros');
  };
  const placement = normPlacementOf(c);
  const normBefore = placement === 'pre' || placement === 'sandwich'; // x + f(n(x))
  const normAfter = placement === 'sandwich' || placement === 'after'; // x + n'(f(...))
  const normAround = placement === 'post'; // n(x + f(x))

  embedding('tok_emb', 'vocab', embedAxis);
  if (embedAxis === 'embed') linear('proj_in', 'model', 'embed', 'normal', false);
  if (c.position === 'learned') embedding('pos_emb', 'positions', 'model');
  for (let i = 0; i < c.nLayer; i++) {
    block = i;
    const b = `blocks.${i}`;
    const [qkvBias, oBias, mlpBias] = [hasBias(c, 'qkv'), hasBias(c, 'o'), hasBias(c, 'mlp')];
    if (normBefore) norm(`${b}.norm1`);
    else if (placement === 'after') input = null;
    linear(`${b}.attn.q`, 'q', 'model', 'normal', qkvBias);
    linear(`${b}.attn.k`, 'kv', 'model', 'normal', qkvBias);
    linear(`${b}.attn.v`, 'kv', 'model', 'normal', qkvBias);
    if (c.qkNorm) {
      norm(`${b}.attn.q_norm`, 'q', false);
      norm(`${b}.attn.k_norm`, 'kv', false);
    }
    linear(`${b}.attn.o`, 'model', 'q', 'residual', oBias);
    if (normAfter) norm(`${b}.post_attn_norm`, 'model', false);
    if (normAround) norm(`${b}.norm1`);
    if (normBefore && !c.parallelSharedNorm) norm(`${b}.norm2`);
    linear(`${b}.mlp.up`, 'ffn', 'model', 'normal', mlpBias);
    if (c.mlp === 'swiglu') linear(`${b}.mlp.gate`, 'ffn', 'model', 'normal', mlpBias);
    linear(`${b}.mlp.down`, 'model', 'ffn', 'residual', mlpBias);
    if (normAfter) norm(`${b}.post_mlp_norm`, 'model', false);
    if (normAround) norm(`${b}.norm2`);
  }
  block = null;
  if (c.finalNorm !== false) norm('norm_f');
  else if (placement !== 'post') input = null; // the head reads the stream as it is (post: the last block's norm2)
  if (embedAxis === 'embed') linear('proj_out', 'embed', 'model', 'normal', false);
  if (!c.tieEmbeddings) linear('lm_head', 'vocab', embedAxis, 'normal', false);
  if (c.headBias) add('lm_head.bias', 'bias', ['vocab'], null, 'zeros'); // Phi's, or a folded LayerNorm bias (a rotated GPT-style model)
  return specs;
}

export function countParams(c: ModelConfig): number {
  return paramSpec(c).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
