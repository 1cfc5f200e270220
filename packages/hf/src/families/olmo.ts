// OLMo (OlmoForCausalLM): Llama's layout with parameter-free LayerNorms and clip_qkv; OLMo 2 (Olmo2ForCausalLM): RMSNorms
// after each branch instead of before, and RMSNorms over the whole q and k projections. Defaults are OlmoConfig's and Olmo2Config's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, normPlacementOf, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import {
  ACTIVATION_NAMES,
  float,
  llamaStyleSizeFields,
  llamaStyleSizes,
  ropeFrom,
  ropeScalingFields,
  setActivation,
  tieAndTokenFields,
} from '../common-fields.js';
import { LLAMA_STYLE_FILES, llamaStyleBindings } from './llama-names.js';

/** OlmoLayerNorm's eps: fixed, no field sets it. */
const OLMO_NORM_EPS = 1e-5;

export const olmo: Family = {
  name: 'olmo',
  label: 'OLMo',
  architectures: { OlmoForCausalLM: 'olmo', Olmo2ForCausalLM: 'olmo2' },
  ...LLAMA_STYLE_FILES,

  toConfig(f, architecture) {
    const olmo2 = architecture === 'Olmo2ForCausalLM';
    const H = f.int('num_attention_heads', 32);
    const C = f.int('hidden_size', 4096);
    const rope = ropeFrom(f, 'rope_theta', 10000, null);
    const attentionBias = f.bool('attention_bias', false);
    const config: ModelConfig = {
      ...llamaStyleSizes(f, { C, H, D: Math.floor(C / H) }, { vocab: 50304, positions: 2048, layers: 32, ffn: 11008 }),
      norm: olmo2 ? 'rmsnorm' : 'layernorm',
      normEps: olmo2 ? f.num('rms_norm_eps', 1e-5) : OLMO_NORM_EPS,
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'swiglu',
      bias: false,
      tieEmbeddings: f.bool('tie_word_embeddings', false),
      logitScale: 1,
      dropout: f.num('attention_dropout', 0),
    };
    setActivation(config, f, 'hidden_act', 'silu');
    if (attentionBias) Object.assign(config, { qkvBias: true, oBias: true });
    if (rope.scaling) config.ropeScaling = rope.scaling;
    if (olmo2) Object.assign(config, { normPlacement: 'after', qkNorm: true });
    else {
      config.normAffine = false;
      if (f.has('clip_qkv')) config.qkvClip = f.num('clip_qkv');
    }
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const olmo2 = normPlacementOf(c) === 'after';
    const piece = missingPiece(
      c,
      olmo2 ? 'OLMo 2' : 'OLMo',
      olmo2 ? ['after-norm', 'qk-norm', 'rope-scaling'] : ['parameter-free-norm', 'qkv-clip', 'rope-scaling'],
    );
    if (piece) return piece;
    if (c.headBias) return "OLMo's LM head has no bias (a rotated model has one: export before rotating)";
    if (olmo2 && (c.norm !== 'rmsnorm' || !c.qkNorm)) return 'OLMo 2 has RMSNorms after each branch and over the q and k projections';
    if (!olmo2 && (c.norm !== 'layernorm' || c.normAffine !== false || c.normEps !== OLMO_NORM_EPS))
      return `OLMo normalizes with LayerNorm without weight or bias, eps ${OLMO_NORM_EPS}`;
    if (c.position !== 'rope' || ropeDimsOf(c) !== c.headDim) return 'OLMo rotates every dimension of every head (full rope)';
    if (c.nHead * c.headDim !== c.dModel) return "OLMo's heads split hidden_size (nHead·headDim must equal dModel)";
    if (c.mlp !== 'swiglu' || hasBias(c, 'mlp')) return "OLMo's MLP is gated and has no biases";
    if (c.parallelResidual) return 'OLMo blocks are sequential';
    if (hasBias(c, 'qkv') !== hasBias(c, 'o')) return "OLMo's attention_bias puts biases on all of q/k/v/o or none";
    return null;
  },

  fromConfig(c, context) {
    const olmo2 = normPlacementOf(c) === 'after';
    const fields: Record<string, unknown> = {
      ...llamaStyleSizeFields(c),
      hidden_act: ACTIVATION_NAMES[activationOf(c)],
      max_position_embeddings: c.contextLength,
      ...ropeScalingFields(c.ropeTheta, c.ropeScaling),
      attention_bias: hasBias(c, 'qkv'),
      attention_dropout: float(c.dropout),
      ...tieAndTokenFields(c, context),
    };
    if (olmo2) fields['rms_norm_eps'] = float(c.normEps);
    else fields['clip_qkv'] = c.qkvClip === undefined ? null : float(c.qkvClip);
    return { architecture: olmo2 ? 'Olmo2ForCausalLM' : 'OlmoForCausalLM', fields };
  },

  bindings(c) {
    return llamaStyleBindings(c, {
      post_attn_norm: 'post_attention_layernorm',
      post_mlp_norm: 'post_feedforward_layernorm',
      'attn.q_norm': 'self_attn.q_norm',
      'attn.k_norm': 'self_attn.k_norm',
    });
  },
};
