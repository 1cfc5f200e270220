// Llama (LlamaForCausalLM) and the models that share its layout: Mistral, Qwen2 (q/k/v biases), SmolLM, TinyLlama.
// Not GPT-NeoX's rotary (families/gpt-neox.ts); defaults are LlamaConfig's, MistralConfig's and Qwen2Config's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import type { HfFields } from '../hf-fields.js';
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

/** Per architecture: which biases it has, and its default max_position_embeddings. */
const KINDS = {
  LlamaForCausalLM: { modelType: 'llama', maxPositions: 2048 },
  MistralForCausalLM: { modelType: 'mistral', maxPositions: 4096 * 32 },
  Qwen2ForCausalLM: { modelType: 'qwen2', maxPositions: 32768 },
} as const;
type Kind = keyof typeof KINDS;

/** (qkv, o, mlp) biases: Llama's from attention_bias / mlp_bias, Mistral none, Qwen2 q/k/v only. */
function biasesOf(f: HfFields, kind: Kind): [boolean, boolean, boolean] {
  if (kind === 'MistralForCausalLM') return [false, false, false];
  if (kind === 'Qwen2ForCausalLM') return [true, false, false];
  const attention = f.bool('attention_bias', false);
  return [attention, attention, f.bool('mlp_bias', false)];
}

/**
 * Mistral's sliding window, on every layer, when it binds (narrower than the context); Llama has none. Qwen2's
 * use_sliding_window is refused: transformers 4.49's eager attention masks every layer with sliding_window, later
 * versions only the layers from max_window_layers on, so the same file means two models.
 */
function slidingWindowOf(f: HfFields, kind: Kind, maxPositions: number): number | null {
  const layerTypes = f.raw['layer_types'];
  if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== 'full_attention'))
    f.refuse(
      'layer_types',
      'has sliding-window layers; Llama, Mistral and Qwen2 are read with full attention or, Mistral, a window on every layer',
    );
  if (kind === 'LlamaForCausalLM' || (kind === 'Qwen2ForCausalLM' && !f.bool('use_sliding_window', false))) return null;
  const window = kind === 'MistralForCausalLM' && !('sliding_window' in f.raw) ? 4096 : f.intOrNull('sliding_window');
  if (window === null || window >= maxPositions) return null;
  if (kind === 'Qwen2ForCausalLM')
    f.refuse(
      'sliding_window',
      'with use_sliding_window is read differently by transformers versions (4.49 masks every layer, later ones the layers from max_window_layers on)',
    );
  return window;
}

export const llama: Family = {
  name: 'llama',
  label: 'Llama',
  architectures: { LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2' },
  ...LLAMA_STYLE_FILES,

  toConfig(f, architecture) {
    const kind = architecture as Kind;
    const C = f.int('hidden_size', 4096);
    const H = f.int('num_attention_heads', 32);
    const contextLength = f.int('max_position_embeddings', KINDS[kind].maxPositions);
    const rope = ropeFrom(f, 'rope_theta', 10000, 'partial_rotary_factor');
    if (rope.partial !== 1) f.refuse('partial_rotary_factor', 'must be 1 (Llama rotates every dimension of a head)');
    const window = slidingWindowOf(f, kind, contextLength);
    const [qkvBias, oBias, mlpBias] = biasesOf(f, kind);
    const config: ModelConfig = {
      ...llamaStyleSizes(f, { C, H, D: 'head_dim' }, { vocab: 32000, positions: contextLength, layers: 32, ffn: 11008 }),
      norm: 'rmsnorm',
      normEps: f.num('rms_norm_eps', 1e-6),
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'swiglu',
      bias: false,
      tieEmbeddings: f.bool('tie_word_embeddings', false),
      logitScale: 1,
      dropout: f.num('attention_dropout', 0),
    };
    setActivation(config, f, 'hidden_act', 'silu');
    if (qkvBias) config.qkvBias = true;
    if (oBias) config.oBias = true;
    if (mlpBias) config.mlpBias = true;
    if (rope.scaling) config.ropeScaling = rope.scaling;
    if (window !== null) config.slidingWindow = window;
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'Llama', ['rope-scaling', 'sliding-window']);
    if (piece) return piece;
    if (c.slidingWindow !== undefined && (c.layerTypes?.some((t) => t !== 'sliding') || hasBias(c, 'qkv') || hasBias(c, 'mlp')))
      return 'only Mistral (no biases) has a sliding window here, and on every layer';
    if (c.headBias) return "Llama's LM head has no bias (a rotated LayerNorm model has one: export before rotating)";
    if (c.norm !== 'rmsnorm') return 'Llama normalizes with RMSNorm';
    if (c.position !== 'rope' || ropeDimsOf(c) !== c.headDim) return 'Llama rotates every dimension of every head (full rope)';
    if (c.mlp !== 'swiglu') return "Llama's MLP is gated (SwiGLU-style)";
    if (c.parallelResidual) return 'Llama blocks are sequential';
    const [q, o, m] = [hasBias(c, 'qkv'), hasBias(c, 'o'), hasBias(c, 'mlp')];
    if (q !== o && !(q && !o && !m)) return 'Llama has biases on all of q/k/v/o or none (Qwen2: q/k/v only)';
    return null;
  },

  fromConfig(c, context) {
    const [q, o, m] = [hasBias(c, 'qkv'), hasBias(c, 'o'), hasBias(c, 'mlp')];
    const qwen = q && !o && !m;
    const wanted = context.architecture as Kind | null;
    const mistral = c.slidingWindow !== undefined || (wanted === 'MistralForCausalLM' && !q && !m);
    const architecture: Kind = qwen ? 'Qwen2ForCausalLM' : mistral ? 'MistralForCausalLM' : 'LlamaForCausalLM';
    const fields: Record<string, unknown> = {
      ...llamaStyleSizeFields(c),
      head_dim: c.headDim,
      hidden_act: ACTIVATION_NAMES[activationOf(c)],
      max_position_embeddings: c.contextLength,
      rms_norm_eps: float(c.normEps),
      ...ropeScalingFields(c.ropeTheta, c.ropeScaling),
      attention_dropout: float(c.dropout),
      ...tieAndTokenFields(c, context),
    };
    if (architecture === 'LlamaForCausalLM') Object.assign(fields, { attention_bias: q, mlp_bias: m, pretraining_tp: 1 });
    if (architecture === 'MistralForCausalLM') fields['sliding_window'] = c.slidingWindow ?? null;
    if (architecture === 'Qwen2ForCausalLM')
      Object.assign(fields, { use_sliding_window: false, sliding_window: null, max_window_layers: c.nLayer });
    return { architecture, fields };
  },

  bindings(c) {
    return llamaStyleBindings(c, { norm1: 'input_layernorm', norm2: 'post_attention_layernorm' });
  },
};
