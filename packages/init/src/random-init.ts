// randomInit: the GPT-2 initialization scheme, computed on the host from a seed, one stream per parameter.
// Not a backend op (weights are made as Float32Arrays) and not cloning (hyperclone.ts).

import type { InitKind, Initializer, InitializedModel, ModelConfig, StateDict } from '@hyperclone/core';
import { Rng, hostTensor, numel, paramSpec, resolveConfig, weightBytes, withVocab } from '@hyperclone/core';

export interface RandomInitOptions {
  /** Same seed, same weights, on every machine and backend (default 0). */
  seed?: number;
  /** Overrides the config's vocabulary (a preset meets a dataset's tokenizer). */
  vocabSize?: number;
}

/** N(0, 0.02) for weights, 0.02/sqrt(2·nLayer) for projections into the residual stream (GPT-2). */
const INIT_STD = 0.02;

function initStd(kind: InitKind, config: ModelConfig): number {
  if (kind === 'normal') return INIT_STD;
  if (kind === 'residual') return INIT_STD / Math.sqrt(2 * config.nLayer);
  return 0;
}

export function randomInit(configOrPreset: string | Partial<ModelConfig>, options: RandomInitOptions = {}): Initializer {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`randomInit seed must be an integer in [0, 2^32) (got ${seed})`);
  }
  let config = resolveConfig(configOrPreset);
  if (options.vocabSize !== undefined) {
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) {
      throw new Error(`randomInit vocabSize must be a positive integer (got ${options.vocabSize})`);
    }
    config = withVocab(config, options.vocabSize);
  }
  const origin: Record<string, unknown> = { kind: 'random', seed };
  if (typeof configOrPreset === 'string') origin['preset'] = configOrPreset;
  return {
    kind: 'random',
    plan: async () => ({ config: { ...config }, load: { weights: weightBytes(config) } }),
    load: async (): Promise<InitializedModel> => ({ config: { ...config }, weights: randomWeights(config, seed), origin: { ...origin } }),
  };
}

/** The weights alone: every parameter from its own stream Rng(seed, name), so adding one never shifts another. */
export function randomWeights(config: ModelConfig, seed: number): StateDict {
  const weights: StateDict = new Map();
  for (const spec of paramSpec(config)) {
    const data = new Float32Array(numel(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    else if (spec.init !== 'zeros') fillNormal(new Rng(seed, spec.name), data, initStd(spec.init, config));
    weights.set(spec.name, hostTensor(spec.shape, data));
  }
  return weights;
}

/**
 * Marsaglia's polar method over the Rng's uniform stream: two normals per accepted pair, no
 * trigonometry (it beat Box-Muller here; docs/hypercloning.md gives gpt2-124m's time).
 */
export function fillNormal(rng: Rng, out: Float32Array, std: number): Float32Array {
  const n = out.length;
  const toUnit = 2 / 4294967296; // uint32 -> [0, 2)
  for (let i = 0; i < n; i += 2) {
    let x: number;
    let y: number;
    let s: number;
    do {
      x = rng.nextU32() * toUnit - 1;
      y = rng.nextU32() * toUnit - 1;
      s = x * x + y * y;
    } while (s >= 1 || s === 0);
    const f = std * Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = x * f;
    if (i + 1 < n) out[i + 1] = y * f;
  }
  return out;
}
