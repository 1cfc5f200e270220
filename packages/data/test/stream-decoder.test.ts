// Tests of StreamDecoder: text comes out token by token, a UTF-8 character split over byte tokens
// only once complete, and the pieces always join to the whole decode. Not the tokenizers themselves.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamDecoder } from '../src/index.js';
import { BpeTokenizer } from '../src/tokenizers/bpe-tokenizer.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { trainBpe, WordCounter } from '../src/tokenizers/bpe-trainer.js';

const byte = new ByteTokenizer();

function pieces(tok: ByteTokenizer | BpeTokenizer, ids: readonly number[]): string[] {
  const stream = new StreamDecoder(tok);
  const out = ids.map((id) => stream.push(id));
  out.push(stream.flush());
  return out;
}

describe('StreamDecoder', () => {
  it('holds back a character split over byte tokens until its last byte', () => {
    const ids = Array.from(byte.encode('aé€😀b')); // 1 + 2 + 3 + 4 + 1 bytes
    expect(pieces(byte, ids)).toEqual(['a', '', 'é', '', '', '€', '', '', '', '😀', 'b', '']);
  });

  it('prints invalid bytes as U+FFFD once the next character shows they will not complete', () => {
    expect(pieces(byte, [0xe2, 0x82, 65, 256])).toEqual(['', '', '\uFFFDA', '<|endoftext|>', '']);
    expect(pieces(byte, [66, 0xe2])).toEqual(['B', '', '\uFFFD']);
  });

  it('joins to the whole decode for any ids, byte level and trained BPE', () => {
    const counter = new WordCounter();
    counter.add('the cat sat on the mat, é è ê, 猫 🐈 '.repeat(20));
    const bpe = BpeTokenizer.fromMerges('bpe:300', trainBpe(counter.counts, 300 - 257).merges);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 256 }), { maxLength: 60 }), (ids) => {
        expect(pieces(byte, ids).join('')).toBe(byte.decode(ids));
        expect(pieces(bpe, ids).join('')).toBe(bpe.decode(ids));
      }),
      { numRuns: 300 },
    );
  });
});
