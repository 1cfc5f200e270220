// The parameter spec: the single source of truth for parameter names, shapes, axes, init and decay group.
// Not the initializer itself (that is @hyperclone/init) and not the forward pass (model.ts).

import type { ModelConfig } from './config.js';
import { hasBias, positionOffsetOf } from './config.js';

/**
 * What each dimension of a parameter runs along. Sizes for a config come from axisSizes.
 * vocab V and positions T (+ the config's position offset) index tokens; model C is the residual stream; q (H·D) and kv (K·D) are
 * the heads laid out head-major; ffn F is the MLP's hidden width.
 */
export type Axis = 'vocab' | 'positions' | 'model' | 'q' | 'kv' | 'ffn';

/**
 * How the forward uses a parameter.
 * embedding: a lookup table [index, out]; the looked-up row is added to the stream.
 * linear: y = x·Wᵀ with W [out, in] (PyTorch nn.Linear); the LM head is one.
 * bias: [out], added to a linear's output. norm: a LayerNorm/RMSNorm gain or bias [model].
 */
export type ParamKind = 'embedding' | 'linear' | 'bias' | 'norm';

/**
 * What a parameter does to the residual stream along its model axis: a linear whose input is the
 * stream reads it; an embedding, or a linear (and its bias) whose output is added to the stream,
 * writes it; a norm's gain and bias normalize it. null: no model axis (q/kv/ffn biases).
 */
export type StreamUse = 'reads' | 'writes' | 'normalizes';

/** normal: N(0, 0.02); residual: N(0, 0.02/sqrt(2·nLayer)) for projections into the residual stream. */
export type InitKind = 'normal' | 'residual' | 'zeros' | 'ones';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** [out, in] for linear weights, as PyTorch nn.Linear; [index, out] for embeddings. */
  shape: number[];
  /** The axis of each dimension: shape[d] = axisSizes(config)[axes[d]]. */
  axes: Axis[];
  stream: StreamUse | null;
  /** A linear that reads the stream: the norm (its name prefix, e.g. 'blocks.0.norm1') whose output it takes. Else null. */
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
  const embedding = (prefix: string, index: Axis): void => add(`${prefix}.weight`, 'embedding', [index, 'model'], 'writes', 'normal');
  const norm = (prefix: string): void => {
    input = prefix;
    add(`${prefix}.weight`, 'norm', ['model'], 'normalizes', 'ones');
    if (c.norm === 'layernorm' && c.bias) add(`${prefix}.bias`, 'norm', ['model'], 'normalizes', 'zeros');
  };
  const linear = (prefix: string, out: Axis, inp: Axis, init: InitKind, bias: boolean): void => {
    add(`${prefix}.weight`, 'linear', [out, inp], inp === 'model' ? 'reads' : out === 'model' ? 'writes' : null, init);
    if (bias) add(`${prefix}.bias`, 'bias', [out], out === 'model' ? 'writes' : null, 'zeros');
  };

  embedding('tok_emb', 'vocab');
  if (c.position === 'learned') embedding('pos_emb', 'positions');
  for (let i = 0; i < c.nLayer; i++) {
    block = i;
    const b = `blocks.${i}`;
    norm(`${b}.norm1`);
    const [qkvBias, oBias, mlpBias] = [hasBias(c, 'qkv'), hasBias(c, 'o'), hasBias(c, 'mlp')];
    linear(`${b}.attn.q`, 'q', 'model', 'normal', qkvBias);
    linear(`${b}.attn.k`, 'kv', 'model', 'normal', qkvBias);
    linear(`${b}.attn.v`, 'kv', 'model', 'normal', qkvBias);
    linear(`${b}.attn.o`, 'model', 'q', 'residual', oBias);
    norm(`${b}.norm2`);
    linear(`${b}.mlp.up`, 'ffn', 'model', 'normal', mlpBias);
    if (c.mlp === 'swiglu') linear(`${b}.mlp.gate`, 'ffn', 'model', 'normal', mlpBias);
    linear(`${b}.mlp.down`, 'model', 'ffn', 'residual', mlpBias);
  }
  block = null;
  norm('norm_f');
  if (!c.tieEmbeddings) linear('lm_head', 'vocab', 'model', 'normal', false);
  if (c.headBias) add('lm_head.bias', 'bias', ['vocab'], null, 'zeros'); // a folded LayerNorm bias (a rotated GPT-style model)
  return specs;
}

export function countParams(c: ModelConfig): number {
  return paramSpec(c).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
