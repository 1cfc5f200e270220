// Sampling next tokens from a model: temperature and top-k on host logits, seeded by core's Rng.
// Not a serving engine: no KV cache (each new token re-runs the window), no beam search.

import type { Backend } from './backend.js';
import type { ModelConfig } from './config.js';
import { hostTensor } from './host-tensor.js';
import type { Params } from './model.js';
import { forward } from './model.js';
import { Rng } from './rng.js';

export interface SampleOptions {
  /** 0 picks the most likely token (greedy); 1 samples the model's distribution. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens before sampling (0 or undefined: all). */
  topK?: number;
}

export interface GenerateOptions extends SampleOptions {
  /** New tokens to produce. */
  maxTokens: number;
  seed?: number;
  /** Stop early after producing this token (e.g. end-of-text); it is included in the result. */
  stopToken?: number;
  /** Called with each new token as soon as it is sampled (to print it while the rest is generated). */
  onToken?: (id: number) => void;
}

/** Picks one token id from a row of logits (V). Deterministic for a given Rng state. */
export function sampleFromLogits(logits: ArrayLike<number>, options: SampleOptions, rng: Rng): number {
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0)) throw new Error(`temperature must be >= 0 (got ${temperature})`);
  const V = logits.length;
  if (V === 0) throw new Error('cannot sample from empty logits');
  if (temperature === 0) return argmaxOf(logits);
  const order = topKIndices(logits, options.topK && options.topK > 0 ? Math.min(options.topK, V) : V);
  const best = logits[order[0]!]!;
  const weights = order.map((i) => Math.exp((logits[i]! - best) / temperature));
  const total = weights.reduce((a, w) => a + w, 0);
  let u = rng.uniform() * total;
  for (let j = 0; j < order.length; j++) {
    u -= weights[j]!;
    if (u < 0) return order[j]!;
  }
  return order[order.length - 1]!;
}

function argmaxOf(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
function topKIndices(x: ArrayLike<number>, k: number): number[] {
  const all = Array.from({ length: x.length }, (_, i) => i);
  all.sort((a, b) => x[b]! - x[a]! || a - b);
  return all.slice(0, k);
}

/**
 * Continues `prompt` by `maxTokens` tokens. Each step runs the model on the last contextLength
 * tokens and samples from the last position's logits. Returns only the new tokens.
 */
export function generate(b: Backend, config: ModelConfig, params: Params, prompt: readonly number[], options: GenerateOptions): number[] {
  if (prompt.length === 0) throw new Error('generate needs a prompt of at least one token (e.g. the end-of-text id)');
  const rng = new Rng(options.seed ?? 0, 'sample');
  const tokens = [...prompt];
  const out: number[] = [];
  for (let n = 0; n < options.maxTokens; n++) {
    const window = tokens.slice(-config.contextLength);
    const T = window.length;
    const last = b.tidy(() => {
      const input = b.fromHost(hostTensor([1, T], Int32Array.from(window))); // (1, T)
      const { logits } = forward(b, config, params, input); // (1, T, V)
      return b.slice(logits, [0, T - 1, 0], [1, 1, config.vocabSize]); // (1, 1, V)
    });
    const row = b.toHost(last).data;
    b.dispose(last);
    const next = sampleFromLogits(row, options, rng);
    tokens.push(next);
    out.push(next);
    options.onToken?.(next);
    if (next === options.stopToken) break;
  }
  return out;
}
