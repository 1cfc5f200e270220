// Gemma and Gemma 2 (GemmaForCausalLM, Gemma2ForCausalLM): (1 + w) RMSNorms, sqrt(hidden) embeddings, head_dim apart, a
// gated GELU MLP; Gemma 2's sandwich norms, soft-caps, query_pre_attn_scalar and alternating window. Not Llama (llama.ts).

import type { LayerType, ModelConfig } from '@hyperclone/core';
import { activationOf, attnScaleOf, hasBias, normPlacementOf, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import type { HfFields } from '../hf-fields.js';
import { missingPiece } from '../model-pieces.js';
import {
  ACTIVATION_NAMES,
  activationFrom,
  float,
  llamaStyleSizeFields,
  ropeFrom,
  ropeScalingFields,
  tieAndTokenFields,
} from '../common-fields.js';
import { LLAMA_STYLE_FILES, llamaStyleBindings } from './llama-names.js';

type Kind = 'GemmaForCausalLM' | 'Gemma2ForCausalLM';

/** Gemma 2's layers alternate: even ones slide, odd ones see everything (Gemma2Attention: not layer_idx % 2). */
export const gemma2LayerTypes = (nLayer: number): LayerType[] =>
  Array.from({ length: nLayer }, (_, i) => (i % 2 === 0 ? 'sliding' : 'full'));

/** The Gemma configs' defaults where the two differ. */
const DEFAULTS = {
  GemmaForCausalLM: { hidden: 3072, intermediate: 24576, layers: 28, heads: 16, kvHeads: 16, activationField: 'hidden_act' },
  Gemma2ForCausalLM: { hidden: 2304, intermediate: 9216, layers: 26, heads: 8, kvHeads: 4, activationField: 'hidden_activation' },
} as const;

/** query_pre_attn_scalar from the attention scale: the whole number it was, when it was one. */
function queryPreAttnScalar(scale: number): number {
  const q = 1 / (scale * scale);
  return Math.abs(q - Math.round(q)) < 1e-9 * q ? Math.round(q) : q;
}

/** Gemma 2's extras: sandwich norms, the attention scale, both soft-caps and the alternating sliding window. */
function gemma2Extras(f: HfFields, config: ModelConfig): void {
  config.normPlacement = 'sandwich';
  const scale = f.num('query_pre_attn_scalar', 256) ** -0.5;
  if (scale !== 1 / Math.sqrt(config.headDim)) config.attnScale = scale;
  const attnCap = f.has('attn_logit_softcapping') ? f.num('attn_logit_softcapping') : f.raw['attn_logit_softcapping'] === null ? null : 50;
  const logitCap = f.has('final_logit_softcapping')
    ? f.num('final_logit_softcapping')
    : f.raw['final_logit_softcapping'] === null
      ? null
      : 30;
  if (attnCap !== null) config.attnSoftcap = attnCap;
  if (logitCap !== null) config.logitSoftcap = logitCap;
  config.slidingWindow = f.int('sliding_window', 4096);
  config.layerTypes = gemma2LayerTypes(config.nLayer);
}

export const gemma: Family = {
  name: 'gemma',
  label: 'Gemma',
  architectures: { GemmaForCausalLM: 'gemma', Gemma2ForCausalLM: 'gemma2' },
  ...LLAMA_STYLE_FILES,

  toConfig(f, architecture) {
    const kind = architecture as Kind;
    const d = DEFAULTS[kind];
    const H = f.int('num_attention_heads', d.heads);
    const rope = ropeFrom(f, 'rope_theta', 10000, null);
    const attentionBias = f.bool('attention_bias', false);
    const config: ModelConfig = {
      vocabSize: f.int('vocab_size', 256000),
      contextLength: f.int('max_position_embeddings', 8192),
      nLayer: f.int('num_hidden_layers', d.layers),
      dModel: f.int('hidden_size', d.hidden),
      nHead: H,
      nKvHead: f.intOrNull('num_key_value_heads') ?? d.kvHeads,
      headDim: f.intOrNull('head_dim') ?? 256,
      dFF: f.int('intermediate_size', d.intermediate),
      norm: 'rmsnorm',
      normEps: f.num('rms_norm_eps', 1e-6),
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'swiglu',
      bias: false,
      tieEmbeddings: f.bool('tie_word_embeddings', true),
      logitScale: 1,
      dropout: f.num('attention_dropout', 0),
      activation: activationFrom(f, d.activationField, 'gelu_pytorch_tanh'),
      normGainPlusOne: true,
      scaleEmbedding: true,
    };
    if (attentionBias) Object.assign(config, { qkvBias: true, oBias: true });
    if (rope.scaling) config.ropeScaling = rope.scaling;
    if (kind === 'Gemma2ForCausalLM') gemma2Extras(f, config);
    const notes: string[] = [];
    const legacy = f.raw['hidden_activation'];
    if (kind === 'GemmaForCausalLM' && typeof legacy === 'string' && legacy !== f.raw['hidden_act'])
      notes.push(
        `hidden_act "${String(f.raw['hidden_act'])}" is the MLP's activation (transformers 4.49 and later); ` +
          `hidden_activation "${legacy}" was used by 4.38-4.47 instead`,
      );
    return { config, notes };
  },

  cannotExpress(c) {
    const sandwich = normPlacementOf(c) === 'sandwich';
    const piece = missingPiece(
      c,
      sandwich ? 'Gemma 2' : 'Gemma',
      sandwich
        ? [
            'sandwich-norm',
            'gain-plus-one',
            'scaled-embedding',
            'attention-scale',
            'attention-softcap',
            'logit-softcap',
            'sliding-window',
            'rope-scaling',
          ]
        : ['gain-plus-one', 'scaled-embedding', 'rope-scaling'],
    );
    if (piece) return piece;
    if (c.headBias) return "Gemma's LM head has no bias (a rotated model has one: export before rotating)";
    if (c.norm !== 'rmsnorm' || !c.normGainPlusOne) return 'Gemma normalizes with RMSNorm times 1 + weight';
    if (!c.scaleEmbedding) return 'Gemma multiplies its embeddings by sqrt(hidden_size)';
    if (c.position !== 'rope' || ropeDimsOf(c) !== c.headDim) return 'Gemma rotates every dimension of every head (full rope)';
    if (c.mlp !== 'swiglu' || hasBias(c, 'mlp')) return "Gemma's MLP is gated and has no biases";
    if (c.parallelResidual) return 'Gemma blocks are sequential';
    if (hasBias(c, 'qkv') !== hasBias(c, 'o')) return "Gemma's attention_bias puts biases on all of q/k/v/o or none";
    if (sandwich && c.slidingWindow !== undefined) {
      const alternating = gemma2LayerTypes(c.nLayer);
      if ((c.layerTypes ?? []).some((t, i) => t !== alternating[i]) || c.layerTypes === undefined)
        return 'Gemma 2 slides its even layers only (a deeper model that moved them cannot be written for transformers 4.49)';
    }
    return null;
  },

  fromConfig(c, context) {
    const gemma2 = normPlacementOf(c) === 'sandwich';
    const activation = activationOf(c) === 'gelu-tanh' ? 'gelu_pytorch_tanh' : ACTIVATION_NAMES[activationOf(c)];
    const fields: Record<string, unknown> = {
      ...llamaStyleSizeFields(c),
      head_dim: c.headDim,
      hidden_act: activation,
      hidden_activation: activation,
      max_position_embeddings: c.contextLength,
      rms_norm_eps: float(c.normEps),
      ...ropeScalingFields(c.ropeTheta, c.ropeScaling),
      attention_bias: hasBias(c, 'qkv'),
      attention_dropout: float(c.dropout),
      ...tieAndTokenFields(c, context),
    };
    if (gemma2)
      Object.assign(fields, {
        query_pre_attn_scalar: queryPreAttnScalar(attnScaleOf(c)),
        sliding_window: c.slidingWindow ?? c.contextLength, // a window as wide as the context hides nothing
        attn_logit_softcapping: c.attnSoftcap === undefined ? null : float(c.attnSoftcap),
        final_logit_softcapping: c.logitSoftcap === undefined ? null : float(c.logitSoftcap),
        cache_implementation: 'hybrid',
      });
    return { architecture: gemma2 ? 'Gemma2ForCausalLM' : 'GemmaForCausalLM', fields };
  },

  bindings(c) {
    return normPlacementOf(c) === 'sandwich'
      ? llamaStyleBindings(c, {
          norm1: 'input_layernorm',
          post_attn_norm: 'post_attention_layernorm',
          norm2: 'pre_feedforward_layernorm',
          post_mlp_norm: 'post_feedforward_layernorm',
        })
      : llamaStyleBindings(c, { norm1: 'input_layernorm', norm2: 'post_attention_layernorm' });
  },
};
