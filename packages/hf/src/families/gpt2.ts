// GPT-2 (GPT2LMHeadModel): Conv1D weights stored [in, out], q/k/v fused in c_attn, learned positions, LayerNorm.
// Not the other families; the field defaults are GPT2Config's (transformers' configuration_gpt2.py).

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, positionOffsetOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import { ACTIVATION_NAMES, dropoutFields, dropoutFrom, float, setActivation, widthAndHeads } from '../common-fields.js';
import type { Layout, TensorBinding } from '../tensor-binding.js';

/** GPT2Config's dropout rates and their defaults: import takes the largest, export writes ours to each. */
const DROPOUTS = { resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 };

export const gpt2: Family = {
  name: 'gpt2',
  label: 'GPT-2',
  architectures: { GPT2LMHeadModel: 'gpt2' },
  prefixes: ['transformer.', ''],
  buffers: [/^h\.\d+\.attn\.(bias|masked_bias)$/],

  toConfig(f) {
    const { C, H } = widthAndHeads(f, ['n_embd', 768], ['n_head', 12]);
    f.require('scale_attn_weights', true, true, 'must be true (attention scores are always divided by sqrt(head_dim))');
    f.require('scale_attn_by_inverse_layer_idx', false, false, 'must be false (no per-layer score scaling)');
    f.require('add_cross_attention', false, false, 'must be false (decoder-only models)');
    const config: ModelConfig = {
      vocabSize: f.int('vocab_size', 50257),
      contextLength: f.int('n_positions', 1024),
      nLayer: f.int('n_layer', 12),
      dModel: C,
      nHead: H,
      nKvHead: H,
      headDim: C / H,
      dFF: f.intOrNull('n_inner') ?? 4 * C,
      norm: 'layernorm',
      normEps: f.num('layer_norm_epsilon', 1e-5),
      position: 'learned',
      ropeTheta: 10000,
      mlp: 'gelu',
      bias: true,
      tieEmbeddings: f.bool('tie_word_embeddings', true),
      logitScale: 1,
      dropout: dropoutFrom(f, DROPOUTS),
    };
    setActivation(config, f, 'activation_function', 'gelu_new');
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'GPT-2', []);
    if (piece) return piece;
    if (c.headBias) return "GPT-2's LM head has no bias (a rotated LayerNorm model has one: export before rotating)";
    if (c.norm !== 'layernorm') return 'GPT-2 normalizes with LayerNorm';
    if (c.position !== 'learned' || positionOffsetOf(c) !== 0) return 'GPT-2 has learned positions starting at row 0';
    if (c.mlp !== 'gelu') return "GPT-2's MLP is not gated (no SwiGLU)";
    if (!c.bias || !hasBias(c, 'qkv') || !hasBias(c, 'o') || !hasBias(c, 'mlp')) return 'GPT-2 has a bias on every linear layer and norm';
    if (c.nKvHead !== c.nHead) return 'GPT-2 has no grouped-query attention';
    if (c.nHead * c.headDim !== c.dModel) return "GPT-2's heads split n_embd (nHead·headDim must equal dModel)";
    if (c.parallelResidual) return 'GPT-2 blocks are sequential';
    return null;
  },

  fromConfig(c, context) {
    return {
      architecture: 'GPT2LMHeadModel',
      fields: {
        vocab_size: c.vocabSize,
        n_positions: c.contextLength,
        n_ctx: c.contextLength,
        n_embd: c.dModel,
        n_layer: c.nLayer,
        n_head: c.nHead,
        n_inner: c.dFF,
        activation_function: ACTIVATION_NAMES[activationOf(c)],
        layer_norm_epsilon: float(c.normEps),
        ...dropoutFields(DROPOUTS, c.dropout),
        initializer_range: float(0.02),
        scale_attn_weights: true,
        use_cache: true,
        tie_word_embeddings: c.tieEmbeddings,
        ...context.tokenIds,
      },
    };
  },

  bindings(c) {
    const out: (TensorBinding & { base: boolean })[] = [];
    const C = c.dModel;
    const add = (hf: string, hfShape: number[], ours: string[], layout: Layout = 'same', base = true) =>
      out.push({ hf, hfShape, ours, layout, base });
    add('wte.weight', [c.vocabSize, C], ['tok_emb.weight']);
    add('wpe.weight', [c.contextLength, C], ['pos_emb.weight']);
    for (let i = 0; i < c.nLayer; i++) {
      const [h, b] = [`h.${i}.`, `blocks.${i}.`];
      for (const [theirs, ours] of [
        ['ln_1', 'norm1'],
        ['ln_2', 'norm2'],
      ]) {
        add(`${h}${theirs}.weight`, [C], [`${b}${ours}.weight`]);
        add(`${h}${theirs}.bias`, [C], [`${b}${ours}.bias`]);
      }
      const qkv = ['q', 'k', 'v'];
      add(
        `${h}attn.c_attn.weight`,
        [C, 3 * C],
        qkv.map((x) => `${b}attn.${x}.weight`),
        'stack-transposed',
      );
      add(
        `${h}attn.c_attn.bias`,
        [3 * C],
        qkv.map((x) => `${b}attn.${x}.bias`),
        'stack',
      );
      add(`${h}attn.c_proj.weight`, [C, C], [`${b}attn.o.weight`], 'transpose');
      add(`${h}attn.c_proj.bias`, [C], [`${b}attn.o.bias`]);
      add(`${h}mlp.c_fc.weight`, [C, c.dFF], [`${b}mlp.up.weight`], 'transpose');
      add(`${h}mlp.c_fc.bias`, [c.dFF], [`${b}mlp.up.bias`]);
      add(`${h}mlp.c_proj.weight`, [c.dFF, C], [`${b}mlp.down.weight`], 'transpose');
      add(`${h}mlp.c_proj.bias`, [C], [`${b}mlp.down.bias`]);
    }
    add('ln_f.weight', [C], ['norm_f.weight']);
    add('ln_f.bias', [C], ['norm_f.bias']);
    if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, C], ['lm_head.weight'], 'same', false);
    return out;
  },
};
