// Tests of the GPT-2 pre-tokenizer scanner, gpt2 against js-tiktoken, bpe:N training and saving, and loading through hf:.
// Not the byte tokenizer (byte-tokenizer.test.ts) and not prepare (prepare-tokenizers.test.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getEncoding } from 'js-tiktoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2_SPLIT } from '../src/tokenizers/byte-level.js';
import { BpeTokenizer } from '../src/tokenizers/bpe-tokenizer.js';
import { trainBpe, WordCounter } from '../src/tokenizers/bpe-trainer.js';
import { loadHfTokenizer } from '../src/tokenizers/hf-tokenizer.js';
import { forEachPiece } from '../src/tokenizers/pretokenize.js';
import { Gpt2Tokenizer } from '../src/tokenizers/gpt2-tokenizer.js';
import { loadTokenizer, type Tokenizer } from '../src/index.js';
import { allCorpusFiles, tempDir, TINYSTORIES } from './helpers.js';

const dir = tempDir('tok');
const corpora = allCorpusFiles().map((f) => [f, readFileSync(f, 'utf8')] as const);
const unicode = fc.string({ unit: 'grapheme', maxLength: 80 });
const mixed = fc
  .array(
    fc.constantFrom('a', 'Z', 'é', '日本', '7', '٣', ' ', '  ', '\n', '\t', "'s", "'ll", "'", '!', '?!', '😀', '\u00a0', '\r\n', 'x'),
    { maxLength: 40 },
  )
  .map((xs) => xs.join(''));

function trainOnStories(vocabSize: number): BpeTokenizer {
  const counter = new WordCounter();
  counter.add(readFileSync(join(TINYSTORIES, 'train_v1_head.txt'), 'utf8'));
  return BpeTokenizer.fromMerges(`bpe:${vocabSize}`, trainBpe(counter.counts, vocabSize - 257).merges);
}

describe('GPT-2 pre-tokenizer scanner', () => {
  const regex = (s: string): string[] => s.match(new RegExp(GPT2_SPLIT.source, 'gu')) ?? [];
  const scan = (s: string): string[] => {
    const out: string[] = [];
    forEachPiece(s, (a, b) => out.push(s.slice(a, b)));
    return out;
  };

  it('splits every real corpus exactly like the regex (first 300 KB of each)', () => {
    for (const [, full] of corpora) {
      const text = full.slice(0, 300_000);
      expect(scan(text)).toEqual(regex(text));
    }
  });

  it('splits arbitrary strings like the regex', () => {
    fc.assert(
      fc.property(fc.oneof(unicode, mixed), (s) => {
        expect(scan(s)).toEqual(regex(s));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('gpt2 tokenizer', () => {
  const tok = new Gpt2Tokenizer();

  it('matches known GPT-2 ids', () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.eotId).toBe(50256);
    expect(Array.from(tok.encode('hello world'))).toEqual([31373, 995]);
    expect(Array.from(tok.encode('Hello world'))).toEqual([15496, 995]);
    expect(Array.from(tok.encode('The quick brown fox jumps over the lazy dog'))).toEqual([
      464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290,
    ]);
    expect(Array.from(tok.encode(' SolidGoldMagikarp'))).toEqual([43453]);
    expect(tok.decode([31373, 220, 50256])).toBe('hello <|endoftext|>');
    // special-token text inside a document is ordinary text
    expect(Array.from(tok.encode('<|endoftext|>'))).not.toContain(50256);
  });

  it('encodes like js-tiktoken (first 200 KB of each corpus) and round-trips every real corpus', () => {
    const ref = getEncoding('gpt2');
    for (const [f, text] of corpora) {
      const sample = text.slice(0, 200_000);
      expect(Array.from(tok.encode(sample)), f).toEqual(ref.encode(sample, [], []));
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('round-trips arbitrary Unicode', () => {
    fc.assert(
      fc.property(fc.oneof(unicode, mixed), (s) => tok.decode(tok.encode(s)) === s),
      { numRuns: 500 },
    );
  });
});

describe('bpe:N training', () => {
  let bpe: BpeTokenizer;
  beforeAll(() => {
    bpe = trainOnStories(1024);
  });

  it('learns N - 257 merges deterministically', () => {
    expect(bpe.vocabSize).toBe(1024);
    expect(bpe.eotId).toBe(1023);
    expect(trainOnStories(1024).toJSON()).toBe(bpe.toJSON());
    // frequent words of the corpus become single tokens
    expect(bpe.encode(' the').length).toBe(1);
    expect(bpe.encode(' Lily').length).toBeLessThanOrEqual(2);
  });

  it('compresses text: fewer tokens than bytes', () => {
    const text = corpora.find(([f]) => f.includes('valid_v1'))![1];
    expect(bpe.encode(text).length).toBeLessThan(Buffer.byteLength(text) / 3);
  });

  it('round-trips every real corpus and arbitrary Unicode exactly', () => {
    for (const [, text] of corpora) expect(bpe.decode(bpe.encode(text))).toBe(text);
    fc.assert(
      fc.property(fc.oneof(unicode, mixed), (s) => bpe.decode(bpe.encode(s)) === s),
      { numRuns: 500 },
    );
  });

  it('saves a tokenizer.json that hf: (@huggingface/tokenizers) loads back and encodes identically', async () => {
    const out = join(dir, 'bpe1024');
    (await import('node:fs')).mkdirSync(out);
    const info = await bpe.save(out);
    expect(info).toEqual({ spec: 'bpe:1024', files: ['tokenizer.json', 'tokenizer_config.json'] });
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer.type).toBe('ByteLevel');
    expect(json.model.merges.length).toBe(1024 - 257);
    const hf = await loadHfTokenizer(out);
    const viaLoad: Tokenizer = await loadTokenizer(join(out, 'tokenizer.json'));
    expect([hf.vocabSize, hf.eotId]).toEqual([1024, 1023]);
    for (const [f, text] of corpora) {
      // @huggingface/tokenizers turns "<|endoftext|>" text into the special id; our encoders keep it as text
      const sample = text.slice(0, 20000).replaceAll('<|endoftext|>', '');
      expect(Array.from(hf.encode(sample)), f).toEqual(Array.from(bpe.encode(sample)));
      expect(Array.from(viaLoad.encode(sample))).toEqual(Array.from(bpe.encode(sample)));
      expect(hf.decode(bpe.encode(sample))).toBe(sample);
    }
    fc.assert(
      fc.property(mixed, (s) => {
        expect(Array.from(hf.encode(s))).toEqual(Array.from(bpe.encode(s)));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects bad specs and missing hf directories', async () => {
    await expect(loadTokenizer('bpe:4096')).rejects.toThrow(/trained on the corpus by prepare/);
    await expect(loadTokenizer(`hf:${join(dir, 'nothing')}`)).rejects.toThrow(/no tokenizer.json in/);
  });
});
