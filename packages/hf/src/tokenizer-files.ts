// The files that travel with the weights: the tokenizer's and the generation defaults, copied as they are.
// Not a tokenizer (@hyperclone/data loads tokenizer.json) and not the model's config.json.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What import copies from a Hugging Face directory and export writes back. */
export const TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'generation_config.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
];

/** The tokenizer files present in `dir`, by name. */
export function readTokenizerFiles(dir: string): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) {
    const path = join(dir, name);
    if (existsSync(path) && statSync(path).isFile()) files[name] = readFileSync(path);
  }
  return files;
}
