// The parameter spec: the single source of truth for parameter names, shapes, init and decay group.
// Not the initializer itself (that is @hyperclone/init) and not the forward pass (model.ts).

import type { ModelConfig } from './config.js';

/** normal: N(0, 0.02); residual: N(0, 0.02/sqrt(2·nLayer)) for projections into the residual stream. */
export type InitKind = 'normal' | 'residual' | 'zeros' | 'ones';

export interface ParamSpec {
  name: string;
  /** [out, in] for linear weights, as PyTorch nn.Linear. */
  shape: number[];
  init: InitKind;
  /** AdamW weight decay applies to parameters with 2+ dimensions only. */
  decay: boolean;
}

export function paramSpec(c: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const add = (name: string, shape: number[], init: InitKind): void => {
    specs.push({ name, shape, init, decay: shape.length >= 2 });
  };
  const norm = (prefix: string, width: number): void => {
    add(`${prefix}.weight`, [width], 'ones');
    if (c.norm === 'layernorm' && c.bias) add(`${prefix}.bias`, [width], 'zeros');
  };
  const linear = (prefix: string, out: number, inp: number, init: InitKind): void => {
    add(`${prefix}.weight`, [out, inp], init);
    if (c.bias) add(`${prefix}.bias`, [out], 'zeros');
  };

  const qDim = c.nHead * c.headDim;
  const kvDim = c.nKvHead * c.headDim;
  add('tok_emb.weight', [c.vocabSize, c.dModel], 'normal');
  if (c.position === 'learned') add('pos_emb.weight', [c.contextLength, c.dModel], 'normal');
  for (let i = 0; i < c.nLayer; i++) {
    const b = `blocks.${i}`;
    norm(`${b}.norm1`, c.dModel);
    linear(`${b}.attn.q`, qDim, c.dModel, 'normal');
    linear(`${b}.attn.k`, kvDim, c.dModel, 'normal');
    linear(`${b}.attn.v`, kvDim, c.dModel, 'normal');
    linear(`${b}.attn.o`, c.dModel, qDim, 'residual');
    norm(`${b}.norm2`, c.dModel);
    linear(`${b}.mlp.up`, c.dFF, c.dModel, 'normal');
    if (c.mlp === 'swiglu') linear(`${b}.mlp.gate`, c.dFF, c.dModel, 'normal');
    linear(`${b}.mlp.down`, c.dModel, c.dFF, 'residual');
  }
  norm('norm_f', c.dModel);
  if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, c.dModel], 'normal');
  return specs;
}

export function countParams(c: ModelConfig): number {
  return paramSpec(c).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}
