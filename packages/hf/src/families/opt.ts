// OPT (OPTForCausalLM): learned positions read from row 2, ReLU, tied head; pre-LN blocks (125M, 1.3B, ...) or
// OPT-350M's post-LN blocks without a final norm and its 512-wide embedding projected in and out. Defaults are OPTConfig's.

import type { ModelConfig } from '@hyperclone/core';
import { activationOf, hasBias, normPlacementOf, positionOffsetOf } from '@hyperclone/core';
import type { Family } from '../family.js';
import { missingPiece } from '../model-pieces.js';
import { ACTIVATION_NAMES, dropoutFields, dropoutFrom, float, setActivation, tieAndTokenFields, widthAndHeads } from '../common-fields.js';
import type { TensorBinding } from '../tensor-binding.js';

/** OPTLearnedPositionalEmbedding's offset: position t reads row t + 2. */
export const OPT_POSITION_OFFSET = 2;
/** nn.LayerNorm's default eps: OPT has no field for it. */
const OPT_NORM_EPS = 1e-5;

/** OPTConfig's dropout rates and their defaults: import takes the largest, export writes ours to each. */
const DROPOUTS = { dropout: 0.1, attention_dropout: 0 };

export const opt: Family = {
  name: 'opt',
  label: 'OPT',
  architectures: { OPTForCausalLM: 'opt' },
  prefixes: ['model.decoder.', 'decoder.'],
  buffers: [],

  toConfig(f) {
    const { C, H } = widthAndHeads(f, ['hidden_size', 768], ['num_attention_heads', 12]);
    const preNorm = f.bool('do_layer_norm_before', true); // false: OPT-350M's post-LN blocks, and no final norm
    const embedDim = f.int('word_embed_proj_dim', C); // != hidden_size: project_in and project_out
    const affine = f.bool('layer_norm_elementwise_affine', true);
    const finalNorm = preNorm && !f.bool('_remove_final_layer_norm', false);
    const enableBias = f.bool('enable_bias', true);
    const config: ModelConfig = {
      vocabSize: f.int('vocab_size', 50272),
      contextLength: f.int('max_position_embeddings', 2048),
      nLayer: f.int('num_hidden_layers', 12),
      dModel: C,
      nHead: H,
      nKvHead: H,
      headDim: C / H,
      dFF: f.int('ffn_dim', 3072),
      norm: 'layernorm',
      normEps: OPT_NORM_EPS,
      position: 'learned',
      positionOffset: OPT_POSITION_OFFSET,
      ropeTheta: 10000,
      mlp: 'gelu',
      bias: true,
      tieEmbeddings: f.bool('tie_word_embeddings', true),
      logitScale: 1,
      dropout: dropoutFrom(f, DROPOUTS),
    };
    setActivation(config, f, 'activation_function', 'relu');
    if (!enableBias) Object.assign(config, { qkvBias: false, oBias: false, mlpBias: false });
    if (!preNorm) config.normPlacement = 'post';
    if (!finalNorm) config.finalNorm = false;
    if (!affine) config.normAffine = false;
    if (embedDim !== C) config.embedDim = embedDim;
    return { config, notes: [] };
  },

  cannotExpress(c) {
    const piece = missingPiece(c, 'OPT', ['post-norm', 'no-final-norm', 'parameter-free-norm', 'embed-projection']);
    if (piece) return piece;
    if (normPlacementOf(c) === 'post' && c.finalNorm !== false) return 'post-LN OPT (do_layer_norm_before false) has no final norm';
    if (c.embedDim === c.dModel) return 'OPT projects its embedding in and out only when word_embed_proj_dim differs from hidden_size';
    if (c.headBias) return "OPT's LM head has no bias (a rotated LayerNorm model has one: export before rotating)";
    if (c.norm !== 'layernorm' || !c.bias) return 'OPT normalizes with LayerNorm, bias included';
    if (c.normEps !== OPT_NORM_EPS) return `OPT's LayerNorm eps is fixed at ${OPT_NORM_EPS}`;
    if (c.position !== 'learned' || positionOffsetOf(c) !== OPT_POSITION_OFFSET) return 'OPT reads learned positions from row 2';
    if (c.mlp !== 'gelu') return "OPT's MLP is not gated";
    const groups = [hasBias(c, 'qkv'), hasBias(c, 'o'), hasBias(c, 'mlp')];
    if (groups.some((g) => g !== groups[0])) return "OPT's enable_bias puts biases on every linear layer or none";
    if (c.nKvHead !== c.nHead) return 'OPT has no grouped-query attention';
    if (c.nHead * c.headDim !== c.dModel) return "OPT's heads split hidden_size (nHead·headDim must equal dModel)";
    if (c.parallelResidual) return 'OPT blocks are sequential';
    return null;
  },

  fromConfig(c, context) {
    return {
      architecture: 'OPTForCausalLM',
      fields: {
        vocab_size: c.vocabSize,
        hidden_size: c.dModel,
        num_hidden_layers: c.nLayer,
        ffn_dim: c.dFF,
        num_attention_heads: c.nHead,
        max_position_embeddings: c.contextLength,
        word_embed_proj_dim: c.embedDim ?? c.dModel,
        do_layer_norm_before: normPlacementOf(c) === 'pre',
        _remove_final_layer_norm: normPlacementOf(c) === 'pre' && c.finalNorm === false,
        layer_norm_elementwise_affine: c.normAffine !== false,
        enable_bias: hasBias(c, 'qkv'),
        activation_function: ACTIVATION_NAMES[activationOf(c)],
        ...dropoutFields(DROPOUTS, c.dropout),
        layerdrop: float(0),
        init_std: float(0.02),
        ...tieAndTokenFields(c, context),
      },
    };
  },

  bindings(c) {
    const out: (TensorBinding & { base: boolean })[] = [];
    const C = c.dModel;
    const add = (hf: string, hfShape: number[], ours: string, base = true) => out.push({ hf, hfShape, ours: [ours], layout: 'same', base });
    const linear = (hf: string, ours: string, rows: number, cols: number, bias: boolean) => {
      add(`${hf}.weight`, [rows, cols], `${ours}.weight`);
      if (bias) add(`${hf}.bias`, [rows], `${ours}.bias`);
    };
    const norm = (hf: string, ours: string) => {
      if (c.normAffine === false) return; // elementwise_affine false: no weight, no bias
      add(`${hf}.weight`, [C], `${ours}.weight`);
      add(`${hf}.bias`, [C], `${ours}.bias`);
    };
    const E = c.embedDim ?? C;
    add('embed_tokens.weight', [c.vocabSize, E], 'tok_emb.weight');
    if (c.embedDim !== undefined) add('project_in.weight', [C, E], 'proj_in.weight');
    add('embed_positions.weight', [c.contextLength + OPT_POSITION_OFFSET, C], 'pos_emb.weight');
    for (let i = 0; i < c.nLayer; i++) {
      const [h, b] = [`layers.${i}.`, `blocks.${i}.`];
      norm(`${h}self_attn_layer_norm`, `${b}norm1`);
      for (const x of ['q', 'k', 'v']) linear(`${h}self_attn.${x}_proj`, `${b}attn.${x}`, C, C, hasBias(c, 'qkv'));
      linear(`${h}self_attn.out_proj`, `${b}attn.o`, C, C, hasBias(c, 'o'));
      norm(`${h}final_layer_norm`, `${b}norm2`);
      linear(`${h}fc1`, `${b}mlp.up`, c.dFF, C, hasBias(c, 'mlp'));
      linear(`${h}fc2`, `${b}mlp.down`, C, c.dFF, hasBias(c, 'mlp'));
    }
    if (c.finalNorm !== false) norm('final_layer_norm', 'norm_f');
    if (c.embedDim !== undefined) add('project_out.weight', [E, C], 'proj_out.weight');
    if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, E], 'lm_head.weight', false);
    return out;
  },
};
