// The Llama-style tensor names Llama, Mistral, Qwen2, Gemma 1-2, OLMo 1-2, Phi and Phi-3 share: the model. prefix and rotary buffers,
// one binding per parameter of our spec, renamed. Not a family: each names its norms (and any linear or final norm it calls otherwise).

import type { ModelConfig } from '@hyperclone/core';
import { paramSpec } from '@hyperclone/core';
import type { Family } from '../family.js';
import type { TensorBinding } from '../tensor-binding.js';

/** Where Llama-style files keep the base model (`model.`, or no prefix) and the rotary buffers older saves hold beside it. */
export const LLAMA_STYLE_FILES: Pick<Family, 'prefixes' | 'buffers'> = {
  prefixes: ['model.', ''],
  buffers: [/^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/, /^rotary_emb\.inv_freq$/],
};

/**
 * A block's norms by our name (norm1, post_attn_norm, norm2, post_mlp_norm, attn.q_norm, attn.k_norm) -> the family's,
 * and any block linear the family names apart from Llama (Phi's attn.o is self_attn.dense).
 */
export type BlockNames = Readonly<Record<string, string>>;

const BLOCK_LINEARS: Readonly<Record<string, string>> = {
  'attn.q': 'self_attn.q_proj',
  'attn.k': 'self_attn.k_proj',
  'attn.v': 'self_attn.v_proj',
  'attn.o': 'self_attn.o_proj',
  'mlp.gate': 'mlp.gate_proj',
  'mlp.up': 'mlp.up_proj',
  'mlp.down': 'mlp.down_proj',
};

/**
 * Every parameter of `c` under its Llama-style name (model.embed_tokens, model.layers.N.self_attn.q_proj, ...,
 * model.norm, lm_head), in the spec's order, shapes from the spec. `block` names the block's norms (and renamed
 * linears), `finalNorm` the final norm.
 */
export function llamaStyleBindings(c: ModelConfig, block: BlockNames, finalNorm = 'norm'): (TensorBinding & { base: boolean })[] {
  return paramSpec(c).map((s) => {
    const dot = s.name.lastIndexOf('.');
    const [owner, leaf] = [s.name.slice(0, dot), s.name.slice(dot + 1)]; // e.g. blocks.0.attn.q, weight
    return {
      hf: `${hfOwner(owner, block, finalNorm)}.${leaf}`,
      hfShape: s.shape,
      ours: [s.name],
      layout: 'same',
      base: owner !== 'lm_head',
    };
  });
}

function hfOwner(owner: string, block: BlockNames, finalNorm: string): string {
  if (owner === 'tok_emb') return 'embed_tokens';
  if (owner === 'norm_f') return finalNorm;
  if (owner === 'lm_head') return 'lm_head';
  const m = /^blocks\.(\d+)\.(.+)$/.exec(owner);
  const local = m ? (block[m[2]!] ?? BLOCK_LINEARS[m[2]!]) : undefined;
  if (!m || !local) throw new Error(`no Llama-style name for parameter group "${owner}" (a hyperclone bug: please report it)`);
  return `layers.${m[1]}.${local}`;
}
