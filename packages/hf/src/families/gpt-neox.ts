// GPT-NeoX (GPTNeoXForCausalLM, the Pythia suite): q/k/v fused per head, partial rotary, parallel residual.
// Not Llama's layout (families/llama.ts); defaults are GPTNeoXConfig's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, ropeDimsOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import {
  ACTIVATION_NAMES,
  dropoutFields,
  dropoutFrom,
  float,
  partialRopeDims,
  ropeFrom,
  ropeScalingFields,
  rotaryPct,
  setActivation,
  tieAndTokenFields,
  widthAndHeads,
} from '../common-fields.js';
import type { Layout, TensorBinding } from '../tensor-binding.js';

/** GPTNeoXConfig's dropout rates and their defaults: import takes the largest, export writes ours to each. */
const DROPOUTS = { hidden_dropout: 0, attention_dropout: 0 };

export const gptNeox: Family = {
  name: 'gpt_neox',
  label: 'GPT-NeoX',
  architectures: { GPTNeoXForCausalLM: 'gpt_neox' },
  prefixes: ['gpt_neox.', ''],
  buffers: [/^layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/, /^rotary_emb\.inv_freq$/],

  toConfig(f) {
    const { C, H, D } = widthAndHeads(f, ['hidden_size', 6144], ['num_attention_heads', 64]);
    const rope = ropeFrom(f, 'rotary_emb_base', 10000, 'rotary_pct', 0.25);
    const ropeDims = partialRopeDims(f, 'rotary_pct', D, rope.partial);
    const attentionBias = f.bool('attention_bias', true);
    const config: ModelConfig = {
      vocabSize: f.int('vocab_size', 50432),
      contextLength: f.int('max_position_embeddings', 2048),
      nLayer: f.int('num_hidden_layers', 44),
      dModel: C,
      nHead: H,
      nKvHead: H,
      headDim: D,
      dFF: f.int('intermediate_size', 24576),
      norm: 'layernorm',
      normEps: f.num('layer_norm_eps', 1e-5),
      position: 'rope',
      ropeTheta: rope.theta,
      mlp: 'gelu',
      bias: true,
      tieEmbeddings: f.bool('tie_word_embeddings', false),
      logitScale: 1,
      dropout: dropoutFrom(f, DROPOUTS),
    };
    setActivation(config, f, 'hidden_act', 'gelu');
    if (ropeDims !== D) config.ropeDims = ropeDims;
    if (f.bool('use_parallel_residual', true)) config.parallelResidual = true;
    if (!attentionBias) Object.assign(config, { qkvBias: false, oBias: false });
    if (rope.scaling) config.ropeScaling = rope.scaling;
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'GPT-NeoX', ['rope-scaling']);
    if (piece) return piece;
    if (c.headBias) return "GPT-NeoX's LM head has no bias (a rotated LayerNorm model has one: export before rotating)";
    if (c.norm !== 'layernorm' || !c.bias) return 'GPT-NeoX normalizes with LayerNorm, bias included';
    if (c.position !== 'rope') return 'GPT-NeoX uses rotary positions';
    if (c.mlp !== 'gelu' || !hasBias(c, 'mlp')) return "GPT-NeoX's MLP is not gated and has biases";
    if (hasBias(c, 'qkv') !== hasBias(c, 'o')) return 'GPT-NeoX has attention biases on q/k/v and the output, or on none';
    if (c.nKvHead !== c.nHead) return 'GPT-NeoX has no grouped-query attention';
    if (c.nHead * c.headDim !== c.dModel) return "GPT-NeoX's heads split hidden_size (nHead·headDim must equal dModel)";
    return null;
  },

  fromConfig(c, context) {
    const pct = rotaryPct(ropeDimsOf(c), c.headDim);
    return {
      architecture: 'GPTNeoXForCausalLM',
      fields: {
        vocab_size: c.vocabSize,
        hidden_size: c.dModel,
        num_hidden_layers: c.nLayer,
        num_attention_heads: c.nHead,
        intermediate_size: c.dFF,
        hidden_act: ACTIVATION_NAMES[activationOf(c)],
        rotary_pct: float(pct),
        rotary_emb_base: float(c.ropeTheta),
        ...ropeScalingFields(c.ropeTheta, c.ropeScaling, { partial_rotary_factor: float(pct) }),
        max_position_embeddings: c.contextLength,
        layer_norm_eps: float(c.normEps),
        use_parallel_residual: c.parallelResidual === true,
        attention_bias: hasBias(c, 'qkv'),
        ...dropoutFields(DROPOUTS, c.dropout),
        ...tieAndTokenFields(c, context),
      },
    };
  },

  bindings(c) {
    const out: (TensorBinding & { base: boolean })[] = [];
    const C = c.dModel;
    const add = (hf: string, hfShape: number[], ours: string[], layout: Layout = 'same', base = true) =>
      out.push({ hf, hfShape, ours, layout, base, headDim: c.headDim });
    add('embed_in.weight', [c.vocabSize, C], ['tok_emb.weight']);
    for (let i = 0; i < c.nLayer; i++) {
      const [h, b] = [`layers.${i}.`, `blocks.${i}.`];
      for (const [theirs, ours] of [
        ['input_layernorm', 'norm1'],
        ['post_attention_layernorm', 'norm2'],
      ]) {
        add(`${h}${theirs}.weight`, [C], [`${b}${ours}.weight`]);
        add(`${h}${theirs}.bias`, [C], [`${b}${ours}.bias`]);
      }
      const qkv = ['q', 'k', 'v'];
      add(
        `${h}attention.query_key_value.weight`,
        [3 * C, C],
        qkv.map((x) => `${b}attn.${x}.weight`),
        'per-head',
      );
      if (hasBias(c, 'qkv'))
        add(
          `${h}attention.query_key_value.bias`,
          [3 * C],
          qkv.map((x) => `${b}attn.${x}.bias`),
          'per-head',
        );
      add(`${h}attention.dense.weight`, [C, C], [`${b}attn.o.weight`]);
      if (hasBias(c, 'o')) add(`${h}attention.dense.bias`, [C], [`${b}attn.o.bias`]);
      add(`${h}mlp.dense_h_to_4h.weight`, [c.dFF, C], [`${b}mlp.up.weight`]);
      add(`${h}mlp.dense_h_to_4h.bias`, [c.dFF], [`${b}mlp.up.bias`]);
      add(`${h}mlp.dense_4h_to_h.weight`, [C, c.dFF], [`${b}mlp.down.weight`]);
      add(`${h}mlp.dense_4h_to_h.bias`, [C], [`${b}mlp.down.bias`]);
    }
    add('final_layer_norm.weight', [C], ['norm_f.weight']);
    add('final_layer_norm.bias', [C], ['norm_f.bias']);
    if (!c.tieEmbeddings) add('embed_out.weight', [c.vocabSize, C], ['lm_head.weight'], 'same', false);
    return out;
  },
};
