// A short text the model writes at an evaluation, for TensorBoard's text dashboard: sampled from the
// end-of-text token with a fixed seed per step, so a run's samples read the same on every rerun.
// Not `hyperclone sample` (the CLI's command) and not part of the run's numbers.

import type { Backend, ModelConfig, Params } from '@hyperclone/core';
import { generate } from '@hyperclone/core';
import { loadTokenizer, type Tokenizer } from '@hyperclone/data';
import type { ModelPart } from '../model/model-part.js';

/** Tokens per sample: enough for a line of text, a small cost next to an evaluation. */
export const SAMPLE_TOKENS = 64;
const TEMPERATURE = 0.8;

export function sampleText(b: Backend, model: ModelConfig, params: Params, tokenizer: Tokenizer, step: number): string {
  const ids = generate(b, model, params, [tokenizer.eotId], {
    maxTokens: SAMPLE_TOKENS,
    temperature: TEMPERATURE,
    seed: step,
    stopToken: tokenizer.eotId,
  });
  return tokenizer.decode(ids.filter((id) => id !== tokenizer.eotId));
}

/**
 * A run's sampler: the model part's weights at the moment of each call, decoded with the tokenizer of the
 * data folder; null when there is no folder (a caller's data source) or it carries no tokenizer.
 */
export async function modelSampler(b: Backend, model: ModelPart, dataDir: string | null): Promise<((step: number) => string) | null> {
  const tokenizer = dataDir ? await loadTokenizer(dataDir).catch(() => null) : null;
  return tokenizer ? (step) => sampleText(b, model.model, model.live, tokenizer, step) : null;
}
