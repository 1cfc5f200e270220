// Phi-3 and Phi-4-mini (Phi3ForCausalLM): Llama's block with q/k/v fused in qkv_proj and gate/up in gate_up_proj, partial
// rotary, a sliding window on every layer, longrope scaling. Not Phi-1/2 (families/phi.ts); defaults are Phi3Config's.

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
import type { TensorBinding } from '../tensor-binding.js';
import { LLAMA_STYLE_FILES, llamaStyleBindings } from './llama-names.js';

/** Phi3Config's longrope attention factor: sqrt(1 + ln(s) / ln(original)) for s = max / original > 1, else 1. */
function derivedAttentionFactor(contextLength: number, original: number): number {
  const s = contextLength / original;
  return s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(original));
}

/** Phi3Config's dropout rates and their defaults: import takes the largest, export writes ours to each. */
const DROPOUTS = { resid_pdrop: 0, embd_pdrop: 0, attention_dropout: 0 };

export const phi3: Family = {
  name: 'phi3',
  label: 'Phi-3',
  architectures: { Phi3ForCausalLM: 'phi3' },
  ...LLAMA_STYLE_FILES,

  toConfig(f) {
    const { C, H, D } = widthAndHeads(f, ['hidden_size', 3072], ['num_attention_heads', 32]);
    // Phi3Config reads "su" and "yarn" as longrope, and takes no other scaling
    const rope = ropeFrom(f, 'rope_theta', 10000, 'partial_rotary_factor', 1, ['longrope'], { su: 'longrope', yarn: 'longrope' });
    const ropeDims = partialRopeDims(f, 'partial_rotary_factor', D, rope.partial);
    const config: ModelConfig = {
      ...llamaStyleSizes(f, { C, H, D }, { vocab: 32064, positions: 4096, layers: 32, ffn: 8192 }),
      norm: 'rmsnorm',
      normEps: f.num('rms_norm_eps', 1e-5),
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'swiglu',
      bias: false,
      tieEmbeddings: f.bool('tie_word_embeddings', false),
      logitScale: 1,
      dropout: dropoutFrom(f, DROPOUTS),
    };
    setActivation(config, f, 'hidden_act', 'silu');
    if (ropeDims !== D) config.ropeDims = ropeDims;
    if (rope.scaling) config.ropeScaling = rope.scaling;
    const window = f.intOrNull('sliding_window');
    if (window !== null) config.slidingWindow = window;
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'Phi-3', ['sliding-window', 'longrope']);
    if (piece) return piece;
    if (c.headBias) return "Phi-3's LM head has no bias (a rotated model has one: export before rotating)";
    if (c.norm !== 'rmsnorm') return 'Phi-3 normalizes with RMSNorm';
    if (c.position !== 'rope') return 'Phi-3 uses rotary positions';
    if (c.mlp !== 'swiglu') return "Phi-3's MLP is gated";
    if (hasBias(c, 'qkv') || hasBias(c, 'o') || hasBias(c, 'mlp')) return 'Phi-3 has no biases';
    if (c.parallelResidual) return 'Phi-3 blocks are sequential';
    if (c.nHead * c.headDim !== c.dModel) return "Phi-3's heads split hidden_size (nHead·headDim must equal dModel)";
    if (c.layerTypes?.some((t) => t !== 'sliding')) return 'Phi-3 slides every layer or none';
    const s = c.ropeScaling;
    if (s?.type === 'longrope') {
      const derived = derivedAttentionFactor(c.contextLength, s.originalContextLength);
      if (Math.abs(s.attentionFactor - derived) > 1e-12 * derived)
        return `Phi-3's longrope attention factor follows max_position_embeddings / original_max_position_embeddings (${derived}, not ${s.attentionFactor})`;
    }
    return null;
  },

  fromConfig(c, context) {
    const pct = rotaryPct(ropeDimsOf(c), c.headDim);
    const s = c.ropeScaling;
    const { rope_theta, rope_scaling } = ropeScalingFields(c.ropeTheta, s);
    return {
      architecture: 'Phi3ForCausalLM',
      fields: {
        ...llamaStyleSizeFields(c),
        hidden_act: ACTIVATION_NAMES[activationOf(c)],
        max_position_embeddings: c.contextLength,
        original_max_position_embeddings: s?.type === 'longrope' ? s.originalContextLength : c.contextLength,
        rms_norm_eps: float(c.normEps),
        rope_theta,
        rope_scaling, // Phi3Config takes exactly type, short_factor and long_factor
        partial_rotary_factor: float(pct),
        sliding_window: c.slidingWindow ?? null,
        ...dropoutFields(DROPOUTS, c.dropout),
        ...tieAndTokenFields(c, context),
      },
    };
  },

  bindings(c) {
    const [C, Q, K] = [c.dModel, c.nHead * c.headDim, c.nKvHead * c.headDim];
    const out: (TensorBinding & { base: boolean })[] = [];
    for (const b of llamaStyleBindings(c, { norm1: 'input_layernorm', norm2: 'post_attention_layernorm' })) {
      const m = /^blocks\.(\d+)\.(attn\.[qkv]|mlp\.gate|mlp\.up)\.weight$/.exec(b.ours[0]!);
      if (!m) out.push(b);
      else if (m[2] === 'attn.q') {
        const ours = ['q', 'k', 'v'].map((x) => `blocks.${m[1]}.attn.${x}.weight`);
        out.push({ hf: `layers.${m[1]}.self_attn.qkv_proj.weight`, hfShape: [Q + 2 * K, C], ours, layout: 'stack', base: true });
      } else if (m[2] === 'mlp.up') {
        const ours = ['gate', 'up'].map((x) => `blocks.${m[1]}.mlp.${x}.weight`); // gate first: gate_up_proj's chunk(2)
        out.push({ hf: `layers.${m[1]}.mlp.gate_up_proj.weight`, hfShape: [2 * c.dFF, C], ours, layout: 'stack', base: true });
      }
    }
    return out;
  },
};
