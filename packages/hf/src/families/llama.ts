// Llama (LlamaForCausalLM) and the models that share its layout: Mistral, Qwen2 (q/k/v biases), SmolLM, TinyLlama.
// Not GPT-NeoX's rotary (families/gpt-neox.ts); defaults are LlamaConfig's, MistralConfig's and Qwen2Config's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import type { HfFields } from '../hf-fields.js';
import { ACTIVATION_NAMES, activationFrom, float, ropeFrom } from '../common-fields.js';
import type { TensorBinding } from '../tensor-binding.js';

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

/** Sliding-window attention changes the function once sequences pass the window: refused while one binds. */
function refuseSlidingWindow(f: HfFields, kind: Kind, maxPositions: number): void {
  const layerTypes = f.raw['layer_types'];
  if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== 'full_attention'))
    f.refuse('layer_types', 'has sliding-window layers; only full attention is supported');
  if (kind === 'Qwen2ForCausalLM' && !f.bool('use_sliding_window', false)) return;
  if (kind === 'LlamaForCausalLM') return;
  const window = kind === 'MistralForCausalLM' && !('sliding_window' in f.raw) ? 4096 : f.intOrNull('sliding_window');
  if (window !== null && window < maxPositions)
    f.refuse('sliding_window', `is narrower than max_position_embeddings ${maxPositions}; sliding-window attention is not supported`);
}

export const llama: Family = {
  name: 'llama',
  label: 'Llama',
  architectures: { LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2' },
  prefixes: ['model.', ''],
  buffers: [/^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/, /^rotary_emb\.inv_freq$/],

  toConfig(f, architecture) {
    const kind = architecture as Kind;
    const C = f.int('hidden_size', 4096);
    const H = f.int('num_attention_heads', 32);
    const contextLength = f.int('max_position_embeddings', KINDS[kind].maxPositions);
    const rope = ropeFrom(f, 'rope_theta', 10000, 'partial_rotary_factor');
    if (rope.partial !== 1) f.refuse('partial_rotary_factor', 'must be 1 (Llama rotates every dimension of a head)');
    refuseSlidingWindow(f, kind, contextLength);
    const [qkvBias, oBias, mlpBias] = biasesOf(f, kind);
    const config: ModelConfig = {
      vocabSize: f.int('vocab_size', 32000),
      contextLength,
      nLayer: f.int('num_hidden_layers', 32),
      dModel: C,
      nHead: H,
      nKvHead: f.intOrNull('num_key_value_heads') ?? H,
      headDim: f.intOrNull('head_dim') ?? Math.floor(C / H),
      dFF: f.int('intermediate_size', 11008),
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
    const activation = activationFrom(f, 'hidden_act', 'silu');
    if (activation !== 'silu') config.activation = activation;
    if (qkvBias) config.qkvBias = true;
    if (oBias) config.oBias = true;
    if (mlpBias) config.mlpBias = true;
    return { config, notes: [] };
  },

  cannotExpress(c) {
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
    const architecture: Kind = qwen ? 'Qwen2ForCausalLM' : wanted === 'MistralForCausalLM' && !q && !m ? wanted : 'LlamaForCausalLM';
    const fields: Record<string, unknown> = {
      vocab_size: c.vocabSize,
      hidden_size: c.dModel,
      intermediate_size: c.dFF,
      num_hidden_layers: c.nLayer,
      num_attention_heads: c.nHead,
      num_key_value_heads: c.nKvHead,
      head_dim: c.headDim,
      hidden_act: ACTIVATION_NAMES[activationOf(c)],
      max_position_embeddings: c.contextLength,
      rms_norm_eps: float(c.normEps),
      rope_theta: float(c.ropeTheta),
      rope_scaling: null,
      rope_parameters: { rope_type: 'default', rope_theta: float(c.ropeTheta) },
      attention_dropout: float(c.dropout),
      tie_word_embeddings: c.tieEmbeddings,
      use_cache: true,
      ...context.tokenIds,
    };
    if (architecture === 'LlamaForCausalLM') Object.assign(fields, { attention_bias: q, mlp_bias: m, pretraining_tp: 1 });
    if (architecture === 'MistralForCausalLM') fields['sliding_window'] = null;
    if (architecture === 'Qwen2ForCausalLM')
      Object.assign(fields, { use_sliding_window: false, sliding_window: null, max_window_layers: c.nLayer });
    return { architecture, fields };
  },

  bindings(c) {
    const out: (TensorBinding & { base: boolean })[] = [];
    const [C, Q, K] = [c.dModel, c.nHead * c.headDim, c.nKvHead * c.headDim];
    const add = (hf: string, hfShape: number[], ours: string, base = true) => out.push({ hf, hfShape, ours: [ours], layout: 'same', base });
    const linear = (hf: string, ours: string, rows: number, cols: number, bias: boolean) => {
      add(`${hf}.weight`, [rows, cols], `${ours}.weight`);
      if (bias) add(`${hf}.bias`, [rows], `${ours}.bias`);
    };
    add('embed_tokens.weight', [c.vocabSize, C], 'tok_emb.weight');
    for (let i = 0; i < c.nLayer; i++) {
      const [h, b] = [`layers.${i}.`, `blocks.${i}.`];
      add(`${h}input_layernorm.weight`, [C], `${b}norm1.weight`);
      const qkv = hasBias(c, 'qkv');
      linear(`${h}self_attn.q_proj`, `${b}attn.q`, Q, C, qkv);
      linear(`${h}self_attn.k_proj`, `${b}attn.k`, K, C, qkv);
      linear(`${h}self_attn.v_proj`, `${b}attn.v`, K, C, qkv);
      linear(`${h}self_attn.o_proj`, `${b}attn.o`, C, Q, hasBias(c, 'o'));
      add(`${h}post_attention_layernorm.weight`, [C], `${b}norm2.weight`);
      const mlp = hasBias(c, 'mlp');
      linear(`${h}mlp.gate_proj`, `${b}mlp.gate`, c.dFF, C, mlp);
      linear(`${h}mlp.up_proj`, `${b}mlp.up`, c.dFF, C, mlp);
      linear(`${h}mlp.down_proj`, `${b}mlp.down`, C, c.dFF, mlp);
    }
    add('norm.weight', [C], 'norm_f.weight');
    if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, C], 'lm_head.weight', false);
    return out;
  },
};
