// A short text the model writes at an evaluation, for TensorBoard's text dashboard: sampled from the
// end-of-text token with a fixed seed per step, so a run's samples read the same on every rerun.
// Not `hyperclone sample` (the CLI's command) and not part of the run's numbers.

import type { Backend, ModelConfig, Params } from '@hyperclone/core';
import { generate } from '@hyperclone/core';
import type { Tokenizer } from '@hyperclone/data';

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
