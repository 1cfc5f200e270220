// Tests of the byte tokenizer: its ids, exact round trips on the real corpora the tests have and random Unicode, out-of-range ids.
// Not the BPE kinds (tokenizers.test.ts).

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { allCorpusFiles } from './helpers.js';

describe('byte tokenizer', () => {
  const tok = new ByteTokenizer();

  it('maps UTF-8 bytes to ids and end-of-text to 256', () => {
    expect(tok.vocabSize).toBe(257);
    expect(tok.eotId).toBe(256);
    expect(Array.from(tok.encode('hé'))).toEqual([104, 0xc3, 0xa9]);
    expect(tok.decode([104, 105, 256, 33])).toBe('hi<|endoftext|>!');
  });

  it('round-trips every real corpus exactly', () => {
    const files = allCorpusFiles();
    expect(files.length).toBe(5);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const ids = tok.encode(text);
      expect(ids.length).toBe(Buffer.byteLength(text));
      expect(tok.decode(ids)).toBe(text);
    }
  });

  it('round-trips arbitrary Unicode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => tok.decode(tok.encode(s)) === s),
      { numRuns: 300 },
    );
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tok.decode([65, 300])).toThrow(/id 300 at position 1 is out of range/);
  });

  it('is what loadTokenizer("byte") returns', async () => {
    const t = await loadTokenizer('byte');
    expect(t.name).toBe('byte');
    await expect(loadTokenizer('nope')).rejects.toThrow(/unknown tokenizer "nope"/);
  });
});
