// Tests of splitting a text stream into documents (auto, lines, blank-lines) and of the safe cuts between pieces.
// Not reading files or prepare (prepare-txt.test.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_PIECE_CHARS, splitDocuments, type DocPiece, type DocSplit } from '../src/corpus/text-documents.js';
import { Gpt2Tokenizer } from '../src/tokenizers/gpt2-tokenizer.js';
import { pieceEnd, safeCut } from '../src/corpus/safe-cut.js';
import { SHAKESPEARE, TINYSTORIES } from './helpers.js';

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function docs(text: string, split: DocSplit, size = 1 << 16): Promise<{ docs: string[]; pieces: DocPiece[] }> {
  const pieces: DocPiece[] = [];
  for await (const p of splitDocuments(chunks(text, size), split)) pieces.push(p);
  const out: string[] = [];
  let cur = '';
  for (const p of pieces) {
    cur += p.text;
    if (p.end) {
      out.push(cur);
      cur = '';
    }
  }
  return { docs: out, pieces };
}

describe('document splitting', () => {
  const v2 = readFileSync(join(TINYSTORIES, 'train_v2gpt4_head.txt'), 'utf8');

  it('auto: cuts at lines holding only <|endoftext|> and keeps the text exact', async () => {
    const { docs: d } = await docs(v2, { kind: 'auto' });
    const separators = v2.match(/^<\|endoftext\|>$/gm)!.length;
    expect(d.length).toBe(separators + 1);
    expect(d.join('<|endoftext|>\n')).toBe(v2.replace(/<\|endoftext\|>\n$/, ''));
    expect(d.some((x) => x.includes('<|endoftext|>'))).toBe(false);
    const small = await docs('a\n<|endoftext|>\nb <|endoftext|> c\n<|endoftext|>', { kind: 'auto' }, 3);
    expect(small.docs).toEqual(['a\n', 'b <|endoftext|> c\n']);
    expect(small.pieces.map((p) => p.line)).toEqual([1, 3]);
  });

  it('gives the same documents whatever the chunk sizes of the stream', async () => {
    for (const split of [
      { kind: 'auto' },
      { kind: 'lines' },
      { kind: 'blank-lines' },
      { kind: 'separator', separator: '<|endoftext|>' },
    ] as DocSplit[]) {
      const text = v2.slice(0, 150_000);
      const whole = (await docs(text, split, text.length)).docs;
      expect((await docs(text, split, 7)).docs).toEqual(whole);
      expect((await docs(text, split, 4093)).docs).toEqual(whole);
    }
  });

  it('lines and blank-lines trim documents and drop empty ones, counting lines', async () => {
    const text = '  one \n\n two\nthree\n\n\n\nfour  ';
    expect((await docs(text, { kind: 'lines' }, 2)).docs).toEqual(['one', 'two', 'three', 'four']);
    const blank = await docs(text, { kind: 'blank-lines' }, 2);
    expect(blank.docs).toEqual(['one', 'two\nthree', 'four']);
    expect(blank.pieces.map((p) => p.line)).toEqual([1, 3, 8]);
  });

  it('cuts a long document into pieces that tokenize exactly like the whole', async () => {
    const text = readFileSync(SHAKESPEARE, 'utf8').repeat(2);
    const { docs: d, pieces } = await docs(text, { kind: 'file' });
    expect(d).toEqual([text]);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((p) => p.text.length <= MAX_PIECE_CHARS)).toBe(true);
    const gpt2 = new Gpt2Tokenizer();
    const joined = pieces.flatMap((p) => Array.from(gpt2.encode(p.text)));
    expect(joined).toEqual(Array.from(gpt2.encode(text)));
  });

  it('safeCut prefers "x\\n|y", then "x| y", then a hard cut off a surrogate pair', () => {
    expect(safeCut('abc', 10)).toBe(0);
    expect(safeCut('abcd\nef gh ij', 8)).toBe(5);
    expect(safeCut('abcdef gh ij', 10)).toBe(9);
    expect(safeCut('abcdefgh😀ijkl', 9)).toBe(8);
    expect(safeCut('abcdefghijkl', 9, false)).toBe(0);
    expect(pieceEnd('ab cd\nef gh', 4, 100)).toBe(6);
    expect(pieceEnd('ab', 4, 100)).toBe(0);
  });
});
