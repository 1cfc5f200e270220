// Byte-level BPE encoder for tokenizer.json files (first cut: not yet available).
// Not a trainer.

import type { Tokenizer } from './tokenizer.js';

export const BpeTokenizer = {
  async tryLoad(_path: string, _name?: string): Promise<Tokenizer | null> {
    return null;
  },
};
