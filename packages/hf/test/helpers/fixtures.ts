// The Hugging Face fixtures (written by transformers itself: scripts/fixtures/hf_transformers.py) and running a model on them.
// Not a test: parity.test.ts, round-trip.test.ts and reference.test.ts use these.

import { fileURLToPath } from 'node:url';
import type { Backend, HostTensor, ModelConfig, StateDict } from '@hyperclone/core';
import { SafetensorsFile, disposeParams, forward, generate, hostTensor, uploadParams } from '@hyperclone/core';

/**
 * The fixtures of the families scripts/fixtures/hf_reference.py transcribes (GPT-2, Llama/Mistral/Qwen2, GPT-NeoX,
 * pre-LN OPT): each family tied and untied, MHA/GQA/MQA, F32/F16/BF16, one file or two shards, safetensors or
 * pytorch_model.bin. reference.test.ts runs these through the transcription too.
 */
export const TRANSCRIBED_FIXTURES = [
  'gpt2-tied',
  'gpt2-untied-fp16',
  'llama-gqa-sharded',
  'llama-mqa-tied-bf16',
  'qwen2-gqa-tied',
  'mistral-mha',
  'neox-pythia',
  'neox-sequential-tied',
  'opt-tied',
  'opt-untied-fp16',
  'opt-tied-bin-fp16',
  'llama-bin-sharded-bf16',
  'gpt2-legacy-bin',
] as const;

/** The fixtures of the families only transformers itself checks (OPT-350M, Gemma, OLMo, Phi, rope scaling, windows). */
export const UNTRANSCRIBED_FIXTURES = [
  'opt-350m-postln',
  'opt-plain-ln-bf16',
  'gemma-gqa-tied',
  'gemma-biased-untied-bf16',
  'gemma2-mqa-tied',
  'olmo-clip-tied',
  'olmo-gqa-biased-bf16',
  'olmo2-gqa',
  'phi-tied-dynamic',
  'phi2-gqa-untied',
  'phi3-longrope-window',
  'phi4-mini-partial-bf16',
  'llama3-rope-scaling',
  'qwen2-yarn',
  'neox-linear-rope',
  'mistral-window',
] as const;

/** Every fixture folder. */
export const HF_FIXTURES = [...TRANSCRIBED_FIXTURES, ...UNTRANSCRIBED_FIXTURES] as const;

export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

export interface Reference {
  /** int32 (1, T) */
  tokens: HostTensor;
  /** float32 (1, T, V): transformers' own, computed in float64 */
  logits: Float32Array;
  loss: number;
  prompt: number[];
  greedy: number[];
}

export function readReference(name: string): Reference {
  const f = SafetensorsFile.open(`${fixtureDir(name)}/reference.safetensors`);
  try {
    return {
      tokens: f.read('tokens'),
      logits: f.read('logits').data as Float32Array,
      loss: f.read('loss').data[0]!,
      prompt: Array.from(f.read('prompt').data),
      greedy: Array.from(f.read('greedy').data),
    };
  } finally {
    f.close();
  }
}

/** Logits (flat) of the model on `tokens` (1, T). */
export function logitsOf(b: Backend, config: ModelConfig, weights: StateDict, tokens: HostTensor): Float32Array {
  const params = uploadParams(b, config, weights);
  try {
    let logits: Float32Array = new Float32Array(0);
    b.tidy(() => {
      logits = b.toHost(forward(b, config, params, b.fromHost(tokens)).logits).data as Float32Array;
    });
    return logits;
  } finally {
    disposeParams(b, params);
  }
}

/** Greedy continuation of `prompt`, `n` tokens. */
export function greedyOf(b: Backend, config: ModelConfig, weights: StateDict, prompt: number[], n: number): number[] {
  const params = uploadParams(b, config, weights);
  try {
    return generate(b, config, params, prompt, { maxTokens: n, temperature: 0, seed: 0 });
  } finally {
    disposeParams(b, params);
  }
}

/** Positions (of rows of `vocab` logits) whose argmax differs between `a` and `b`. */
export function argmaxDiffers(a: ArrayLike<number>, b: ArrayLike<number>, vocab: number): number[] {
  const argmax = (x: ArrayLike<number>, row: number): number => {
    let best = row * vocab;
    for (let i = best + 1; i < (row + 1) * vocab; i++) if (x[i]! > x[best]!) best = i;
    return best - row * vocab;
  };
  const out: number[] = [];
  for (let row = 0; row < a.length / vocab; row++) if (argmax(a, row) !== argmax(b, row)) out.push(row);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export const tokensRow = (t: HostTensor): number[] => Array.from(t.data);
export { hostTensor };
