// Refusals: an unknown or unsupported architecture, a missing shard, a tensor whose shape disagrees with the
// config, unsupported config fields, a truncated safetensors file, other formats, and tensors the model does not have.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile, hostTensor, writeSafetensorsFile } from '@hyperclone/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readHuggingFace } from '../src/index.js';
import { fixtureDir } from './helpers/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'hf-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A copy of a fixture with its config.json edited. */
function copyOf(name: string, edit: (c: Record<string, unknown>) => void = () => {}): string {
  const dir = join(root, `${name}-${n++}`);
  cpSync(fixtureDir(name), dir, { recursive: true });
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

const SUPPORTED = /supported: GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPTNeoXForCausalLM, OPTForCausalLM/;

describe('readHuggingFace refuses, in one line, what it cannot compute exactly', () => {
  it('an unknown architecture, and the known ones it does not support, by name and with the supported list', async () => {
    const bert = copyOf('gpt2-tied', (c) => Object.assign(c, { architectures: ['BertForMaskedLM'], model_type: 'bert' }));
    await expect(readHuggingFace(bert)).rejects.toThrow(/unsupported architecture "BertForMaskedLM", model_type "bert" \(an encoder/);
    await expect(readHuggingFace(bert)).rejects.toThrow(SUPPORTED);
    const moe = copyOf('llama-gqa-sharded', (c) => Object.assign(c, { architectures: ['MixtralForCausalLM'], model_type: 'mixtral' }));
    await expect(readHuggingFace(moe)).rejects.toThrow(/"MixtralForCausalLM".*\(a mixture of experts\)/);
    const qkNorm = copyOf('qwen2-gqa-tied', (c) => Object.assign(c, { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3' }));
    await expect(readHuggingFace(qkNorm)).rejects.toThrow(/\(q\/k norms/);
  });

  it('unsupported config fields, naming the field and its value', async () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      [
        'llama-gqa-sharded',
        (c) => (c['rope_scaling'] = { rope_type: 'llama3', factor: 32 }),
        /field "rope_scaling" = \{"rope_type":"llama3","factor":32\} needs a number "low_freq_factor" for "llama3" rope scaling/,
      ],
      [
        'llama-gqa-sharded',
        (c) => (c['rope_scaling'] = { rope_type: 'longrope', short_factor: [1], long_factor: [2] }),
        /asks for "longrope" rope scaling; Llama \(LlamaForCausalLM\) supports default, linear, dynamic, llama3, yarn here \(transformers 4.49 switches to long_factor past original_max_position_embeddings only in Phi-3\)/,
      ],
      [
        'qwen2-yarn',
        (c) => ((c['rope_scaling'] as Record<string, unknown>)['original_max_position_embeddings'] = 8),
        /gives yarn an original_max_position_embeddings apart from max_position_embeddings 32, which transformers versions read differently/,
      ],
      [
        'qwen2-gqa-tied',
        (c) => Object.assign(c, { use_sliding_window: true, sliding_window: 4 }),
        /"sliding_window" = 4 with use_sliding_window is read differently by transformers versions/,
      ],
      [
        'phi3-longrope-window',
        (c) => (c['rope_scaling'] = { type: 'linear', factor: 2 }),
        /Phi-3 \(Phi3ForCausalLM\) supports default, longrope here/,
      ],
      [
        'phi-tied-dynamic',
        (c) => (c['qk_layernorm'] = true),
        /"qk_layernorm" = true must be false \(per-head LayerNorms on q and k are not supported\)/,
      ],
      ['gpt2-tied', (c) => (c['activation_function'] = 'quick_gelu'), /"activation_function" = "quick_gelu" is not an activation/],
      ['gpt2-tied', (c) => (c['scale_attn_by_inverse_layer_idx'] = true), /"scale_attn_by_inverse_layer_idx" = true must be false/],
      ['neox-pythia', (c) => (c['rotary_pct'] = 0.1), /"rotary_pct" = 0.1 gives 0 rotary dimensions of 8/],
      ['gpt2-tied', (c) => (c['n_head'] = 3), /"n_head" = 3 must divide n_embd 8/],
      ['opt-tied', (c) => (c['num_attention_heads'] = 0), /"num_attention_heads" = 0 must divide hidden_size 8/],
      [
        'phi4-mini-partial-bf16',
        (c) => (c['partial_rotary_factor'] = 0.1),
        /"partial_rotary_factor" = 0.1 gives 0 rotary dimensions of 8; they must be even/,
      ],
    ];
    for (const [name, edit, message] of cases) {
      const dir = copyOf(name, edit);
      await expect(readHuggingFace(dir), String(message)).rejects.toThrow(message);
      await expect(readHuggingFace(dir)).rejects.toThrow(SUPPORTED);
    }
  });

  it('a missing shard, naming it and a tensor it holds', async () => {
    const dir = copyOf('llama-gqa-sharded');
    unlinkSync(join(dir, 'model-00002-of-00002.safetensors'));
    await expect(readHuggingFace(dir)).rejects.toThrow(
      /shard model-00002-of-00002.safetensors listed in model.safetensors.index.json is missing \(it holds \d+ tensors, e\.g\. (lm_head\.weight|model\.layers\.1\.[\w.]+)\); download it again/,
    );
  });

  it('a tensor whose shape disagrees with the config, naming the tensor and both shapes', async () => {
    const dir = copyOf('gpt2-untied-fp16', (c) => (c['n_inner'] = 24));
    await expect(readHuggingFace(dir)).rejects.toThrow(
      /tensor "transformer\.h\.0\.mlp\.c_fc\.weight" in model\.safetensors has shape \[8, 20\] but the config says \[8, 24\]/,
    );
  });

  it('a truncated safetensors file, in its header or its data', async () => {
    const data = copyOf('neox-pythia');
    truncateSync(join(data, 'model.safetensors'), 5000);
    await expect(readHuggingFace(data)).rejects.toThrow(
      /model\.safetensors is not a valid safetensors file: tensor ".*" ends at byte \d+ but the file has 5000 bytes \(truncated\?/,
    );
    const header = copyOf('neox-pythia');
    truncateSync(join(header, 'model.safetensors'), 100);
    await expect(readHuggingFace(header)).rejects.toThrow(/header claims \d+ bytes but the file has 92 after the length \(truncated\?\)/);
  });

  it('TensorFlow weights, with how to convert them; a pytorch_model.bin that is no torch.save file', async () => {
    const tf = copyOf('gpt2-tied');
    unlinkSync(join(tf, 'model.safetensors'));
    writeFileSync(join(tf, 'tf_model.h5'), 'not read');
    await expect(readHuggingFace(tf)).rejects.toThrow(
      /holds tf_model.h5 \(TensorFlow weights\), which hyperclone does not read; convert it to safetensors with python3 -c/,
    );
    const bin = copyOf('gpt2-tied');
    unlinkSync(join(bin, 'model.safetensors'));
    writeFileSync(join(bin, 'pytorch_model.bin'), 'not a pickle');
    await expect(readHuggingFace(bin)).rejects.toThrow(
      /pytorch_model.bin: refused: is neither a zip archive \(torch.save since PyTorch 1.6\) nor a legacy torch.save file$/,
    );
  });

  it('tensors the family does not have (a q/k norm), and missing ones', async () => {
    const dir = copyOf('gpt2-untied-fp16');
    const path = join(dir, 'model.safetensors');
    const f = SafetensorsFile.open(path);
    const tensors = new Map([...f.entries.keys()].map((k) => [k, f.read(k)]));
    f.close();
    tensors.set('transformer.h.0.attn.q_norm.weight', hostTensor([8], new Float32Array(8)));
    writeSafetensorsFile(path, tensors, { metadata: { format: 'pt' } });
    await expect(readHuggingFace(dir)).rejects.toThrow(
      /not part of a GPT-2 model with this config: transformer\.h\.0\.attn\.q_norm\.weight/,
    );
    tensors.delete('transformer.h.0.attn.q_norm.weight');
    tensors.delete('transformer.h.1.ln_2.bias');
    writeSafetensorsFile(path, tensors, { metadata: { format: 'pt' } });
    await expect(readHuggingFace(dir)).rejects.toThrow(
      /the weights lack 1 tensor\(s\) a GPT-2 model with this config has: transformer\.h\.1\.ln_2\.bias/,
    );
  });
});
