// GPT-2's byte-level BPE (50,257 ids, <|endoftext|> = 50256) from js-tiktoken's bundled ranks: offline.
// Not trainable; special-token text inside a document is encoded as ordinary text.

import { getEncoding, type Tiktoken } from 'js-tiktoken';
import type { Tokenizer, TokenizerSaveInfo } from './tokenizer.js';

export class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2';
  readonly vocabSize = 50257;
  readonly eotId = 50256;
  private readonly enc: Tiktoken = getEncoding('gpt2');

  encode(text: string): number[] {
    return this.enc.encode(text, [], []);
  }

  decode(ids: ArrayLike<number>): string {
    return this.enc.decode(Array.from(ids));
  }

  async save(): Promise<TokenizerSaveInfo> {
    return { spec: 'gpt2', files: [] };
  }
}
