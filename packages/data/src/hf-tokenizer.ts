// Hugging Face tokenizers from a local directory (first cut: not yet available).
// Not a downloader.

import type { Tokenizer } from './tokenizer.js';

export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  throw new Error(`hf tokenizer ${path}: not available in this build yet; use byte or gpt2`);
}
