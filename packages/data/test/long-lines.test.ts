// Tests of odd text: a multi-MB document with no newline comes out in bounded pieces that tokenize like the
// whole, an <|endoftext|> inside a long line stays text, and a UTF-8 byte order mark is dropped. Not timing.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, splitDocuments, type DocPiece, type DocSplit } from '../src/corpus/text-documents.js';
import { openDataset, prepareDataset, type TokenDataset } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { Gpt2Tokenizer } from '../src/tokenizers/gpt2-tokenizer.js';
import { tempDir } from './helpers.js';

const CHUNK_CHARS = 1 << 15;

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function pieces(text: string, split: DocSplit, size = CHUNK_CHARS): Promise<DocPiece[]> {
  const out: DocPiece[] = [];
  for await (const p of splitDocuments(chunks(text, size), split)) out.push(p);
  return out;
}

function allIds(ds: TokenDataset): number[] {
  const [train, val] = [ds.split('train'), ds.split('val')];
  return [...train.read(0, train.length), ...val.read(0, val.length)];
}

/** `words` words of a small vocabulary (some not ASCII), separated by single spaces: no newline at all. */
function oneLine(words: number): string {
  const vocab = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'über', 'naïve', '😀', 'quickly'];
  let state = 12345;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out.push(vocab[state % vocab.length]!);
  }
  return out.join(' ');
}

describe('a document with no newline', () => {
  const text = oneLine(800_000); // ~2.9 M characters on one line

  it('streams out in pieces no longer than the piece size plus one read, in every split mode', async () => {
    expect(text.length).toBeGreaterThan(2_500_000);
    for (const split of [{ kind: 'auto' }, { kind: 'lines' }, { kind: 'blank-lines' }, { kind: 'file' }] as DocSplit[]) {
      const got = await pieces(text, split);
      expect(got.map((p) => p.text).join('')).toBe(text);
      expect(got.filter((p) => p.end)).toHaveLength(1);
      expect(got.length).toBeGreaterThan(text.length / (PIECE_CHARS + CHUNK_CHARS));
      expect(Math.max(...got.map((p) => p.text.length))).toBeLessThanOrEqual(PIECE_CHARS + CHUNK_CHARS);
    }
  });

  it('gives the byte tokenizer the same tokens as the whole text, and GPT-2 too (cuts fall before a space)', async () => {
    const got = await pieces(text, { kind: 'auto' });
    const bytes = new ByteTokenizer();
    const joined = got.flatMap((p) => Array.from(bytes.encode(p.text)));
    expect(joined).toEqual(Array.from(bytes.encode(text)));
    expect(got.slice(1).every((p) => p.text.startsWith(' '))).toBe(true);
    const gpt2 = new Gpt2Tokenizer();
    const head = text.slice(0, 400_000);
    const headPieces = await pieces(head, { kind: 'auto' }, 4093);
    expect(headPieces.length).toBeGreaterThan(10);
    expect(headPieces.flatMap((p) => Array.from(gpt2.encode(p.text)))).toEqual(Array.from(gpt2.encode(head)));
  });

  it('keeps an <|endoftext|> inside a long line as text (a cut before it does not make it a line start)', async () => {
    const line = `${oneLine(20_000)} <|endoftext|>\n`;
    const text2 = line.repeat(3);
    for (const size of [7, 4093, CHUNK_CHARS]) {
      const got = await pieces(text2, { kind: 'auto' }, size);
      expect(got.filter((p) => p.end)).toHaveLength(1);
      expect(got.map((p) => p.text).join('')).toBe(text2);
    }
    const separated = `${oneLine(20_000)}\n<|endoftext|>\n${oneLine(20_000)}`;
    const got = await pieces(separated, { kind: 'auto' }, 4093);
    expect(got.filter((p) => p.end)).toHaveLength(2);
  });

  it('prepares into the text bytes followed by one end-of-text', async () => {
    const dir = tempDir('long-lines');
    const path = join(dir, 'one-line.txt');
    writeFileSync(path, text.slice(0, 3_000_000));
    const out = join(dir, 'ds');
    await prepareDataset({ inputs: [path], tokenizer: 'byte', out, valFraction: 0.1 });
    const ds = await openDataset(out);
    try {
      const ids = allIds(ds);
      const expected = [...new ByteTokenizer().encode(text.slice(0, 3_000_000)), ds.meta.eotId];
      expect(ids.length).toBe(expected.length);
      expect(ids).toEqual(expected);
    } finally {
      ds.close();
    }
  });
});

describe('a UTF-8 byte order mark', () => {
  it('is dropped from the text (not tokenized); the source hash is of the file as it is', async () => {
    const dir = tempDir('bom');
    const body = 'Once upon a time.\n<|endoftext|>\nThe end.\n';
    writeFileSync(join(dir, 'bom.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]));
    writeFileSync(join(dir, 'plain.txt'), body);
    const read = async (name: string): Promise<{ ids: number[]; bytes: number }> => {
      const r = await prepareDataset({ inputs: [join(dir, `${name}.txt`)], tokenizer: 'byte', out: join(dir, name), valFraction: 0.5 });
      const ds = await openDataset(join(dir, name));
      try {
        return { ids: allIds(ds), bytes: r.meta.sources[0]!.bytes };
      } finally {
        ds.close();
      }
    };
    const [bom, plain] = [await read('bom'), await read('plain')];
    expect(bom.ids).toEqual(plain.ids);
    expect(bom.ids).not.toContain(0xef);
    expect(bom.bytes).toBe(plain.bytes + 3);
  });
});
