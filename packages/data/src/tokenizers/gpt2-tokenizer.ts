// GPT-2's byte-level BPE (50,257 ids, <|endoftext|> = 50256) from the ranks js-tiktoken ships
// (offline), encoded by our fast BPE with merges derived from the ranks. Not trainable; tests check
// it against js-tiktoken itself. Special-token text inside a document is encoded as ordinary text.

import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { EOT_TEXT, type Tokenizer, type TokenizerSaveInfo } from './tokenizer.js';

/** Bytes of each rank, from js-tiktoken's compressed table ("<prefix> <offset> <base64>..."). */
function rankBytes(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const line of gpt2Ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((t, i) => (out[Number(offset) + i] = Uint8Array.from(Buffer.from(t, 'base64'))));
  }
  return out;
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** The pair of ranks each multi-byte token merges, found by BPE over ranks below its own (as tiktoken does). */
function deriveMerges(tokens: Uint8Array[]): Array<[number, number, number]> {
  const rankOf = new Map(tokens.map((b, r) => [latin1(b), r]));
  const merges: Array<[number, number, number]> = [];
  tokens.forEach((bytes, rank) => {
    if (bytes.length < 2) return;
    const parts = Array.from(bytes, (b) => String.fromCharCode(b));
    for (;;) {
      let best = -1;
      let bestRank = rank;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rankOf.get(parts[i]! + parts[i + 1]!);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      parts.splice(best, 2, parts[best]! + parts[best + 1]!);
    }
    if (parts.length !== 2)
      throw new Error(`gpt2 ranks: token ${rank} does not split into two earlier tokens; the js-tiktoken ranks are unexpected`);
    merges.push([rankOf.get(parts[0]!)!, rankOf.get(parts[1]!)!, rank]);
  });
  return merges;
}

let shared: BpeTokenizer | null = null;

function fastGpt2(): BpeTokenizer {
  if (shared) return shared;
  const tokens: Array<Uint8Array | undefined> = rankBytes();
  const eotId = gpt2Ranks.special_tokens[EOT_TEXT]!;
  const merges = deriveMerges(tokens as Uint8Array[]);
  tokens[eotId] = undefined;
  shared = new BpeTokenizer('gpt2', { tokenBytes: tokens, merges, special: new Map([[eotId, EOT_TEXT]]), eotId });
  return shared;
}

export class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2';
  readonly vocabSize = 50257;
  readonly eotId = 50256;
  private readonly bpe = fastGpt2();

  encode(text: string): Int32Array {
    return this.bpe.encode(text);
  }

  decode(ids: ArrayLike<number>): string {
    return this.bpe.decode(ids);
  }

  async save(): Promise<TokenizerSaveInfo> {
    return { spec: 'gpt2', files: [] };
  }
}
