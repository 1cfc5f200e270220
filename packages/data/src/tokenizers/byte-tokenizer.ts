// The byte-level tokenizer: ids 0-255 are UTF-8 bytes, 256 is end-of-text (vocabulary 257).
// Not a BPE: no merges, so sequences are long but every string round-trips exactly.

import { EOT_TEXT, type Tokenizer, type TokenizerSaveInfo } from './tokenizer.js';

export class ByteTokenizer implements Tokenizer {
  readonly name = 'byte';
  readonly vocabSize = 257;
  readonly eotId = 256;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8');

  encode(text: string): Int32Array {
    const bytes = this.encoder.encode(text); // [nBytes]
    return Int32Array.from(bytes);
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    let start = 0;
    const flush = (end: number): void => {
      if (end <= start) return;
      const bytes = new Uint8Array(end - start);
      for (let i = start; i < end; i++) bytes[i - start] = ids[i]!;
      out += this.decoder.decode(bytes);
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === this.eotId) {
        flush(i);
        out += EOT_TEXT;
        start = i + 1;
      } else if (!(id >= 0 && id < 256)) {
        throw new Error(`byte tokenizer: id ${id} at position ${i} is out of range [0, 257); the ids come from another tokenizer`);
      }
    }
    flush(ids.length);
    return out;
  }

  async save(): Promise<TokenizerSaveInfo> {
    return { spec: 'byte', files: [] };
  }
}
