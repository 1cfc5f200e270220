// Phi-1, Phi-1.5 and Phi-2 (PhiForCausalLM): attention and MLP in parallel on one LayerNorm, rotary on part of each head,
// biases everywhere, the LM head's too. Not Phi-3 (families/phi3.ts); defaults are PhiConfig's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import {
  ACTIVATION_NAMES,
  dropoutFields,
  dropoutFrom,
  float,
  llamaStyleSizeFields,
  llamaStyleSizes,
  partialRopeDims,
  ropeFrom,
  ropeScalingFields,
  rotaryPct,
  setActivation,
  tieAndTokenFields,
  widthAndHeads,
} from '../common-fields.js';
import { LLAMA_STYLE_FILES, llamaStyleBindings } from './llama-names.js';

/** PhiConfig's dropout rates and their defaults: import takes the largest, export writes ours to each. */
const DROPOUTS = { resid_pdrop: 0, embd_pdrop: 0, attention_dropout: 0 };

export const phi: Family = {
  name: 'phi',
  label: 'Phi',
  architectures: { PhiForCausalLM: 'phi' },
  ...LLAMA_STYLE_FILES,

  toConfig(f) {
    const { C, H, D } = widthAndHeads(f, ['hidden_size', 2048], ['num_attention_heads', 32]);
    f.require('qk_layernorm', false, false, 'must be false (per-head LayerNorms on q and k are not supported)');
    const rope = ropeFrom(f, 'rope_theta', 10000, 'partial_rotary_factor', 0.5);
    const ropeDims = partialRopeDims(f, 'partial_rotary_factor', D, rope.partial);
    const config: ModelConfig = {
      ...llamaStyleSizes(f, { C, H, D }, { vocab: 51200, positions: 2048, layers: 24, ffn: 8192 }),
      norm: 'layernorm',
      normEps: f.num('layer_norm_eps', 1e-5),
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'gelu',
      bias: true,
      tieEmbeddings: f.bool('tie_word_embeddings', false),
      logitScale: 1,
      dropout: dropoutFrom(f, DROPOUTS),
      parallelResidual: true,
      parallelSharedNorm: true,
      headBias: true,
    };
    setActivation(config, f, 'hidden_act', 'gelu_new');
    if (ropeDims !== D) config.ropeDims = ropeDims;
    if (rope.scaling) config.ropeScaling = rope.scaling;
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'Phi', ['shared-parallel-norm', 'rope-scaling']);
    if (piece) return piece;
    if (!c.headBias) return "Phi's LM head has a bias";
    if (c.norm !== 'layernorm' || !c.bias) return 'Phi normalizes with LayerNorm, bias included';
    if (!c.parallelResidual || !c.parallelSharedNorm) return "Phi's block runs attention and the MLP in parallel on one LayerNorm";
    if (c.position !== 'rope') return 'Phi uses rotary positions';
    if (c.mlp !== 'gelu' || !hasBias(c, 'qkv') || !hasBias(c, 'o') || !hasBias(c, 'mlp'))
      return "Phi's MLP is not gated, and every linear layer has a bias";
    if (c.nHead * c.headDim !== c.dModel) return "Phi's heads split hidden_size (nHead·headDim must equal dModel)";
    return null;
  },

  fromConfig(c, context) {
    const pct = rotaryPct(ropeDimsOf(c), c.headDim);
    return {
      architecture: 'PhiForCausalLM',
      fields: {
        ...llamaStyleSizeFields(c),
        hidden_act: ACTIVATION_NAMES[activationOf(c)],
        max_position_embeddings: c.contextLength,
        layer_norm_eps: float(c.normEps),
        partial_rotary_factor: float(pct),
        ...ropeScalingFields(c.ropeTheta, c.ropeScaling, { partial_rotary_factor: float(pct) }),
        qk_layernorm: false,
        ...dropoutFields(DROPOUTS, c.dropout),
        ...tieAndTokenFields(c, context),
      },
    };
  },

  bindings(c) {
    const names = { norm1: 'input_layernorm', 'attn.o': 'self_attn.dense', 'mlp.up': 'mlp.fc1', 'mlp.down': 'mlp.fc2' };
    return llamaStyleBindings(c, names, 'final_layernorm');
  },
};
