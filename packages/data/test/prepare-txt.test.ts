import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset, prepareDataset, type PrepareProgress } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { SHAKESPEARE, tempDir } from './helpers.js';

const dir = tempDir('prepare');
const tok = new ByteTokenizer();

function decodeAll(split: { length: number; read(s: number, c: number): Int32Array }): string {
  return tok.decode(split.read(0, split.length));
}

describe('prepareDataset (.txt, byte)', () => {
  it('splits on a separator, joins documents with end-of-text, and round-trips exactly', async () => {
    const corpus = join(dir, 'stories.txt');
    const docs = Array.from({ length: 40 }, (_, i) => `Story ${i}: the cat sat on mat ${i}.\nThe end é ${'!'.repeat(1 + (i % 3))}`);
    writeFileSync(corpus, docs.map((d) => `${d}\n<|endoftext|>\n`).join(''));
    const out = join(dir, 'ds1');
    const progress: PrepareProgress[] = [];
    const r = await prepareDataset({
      inputs: [corpus],
      tokenizer: 'byte',
      out,
      split: { kind: 'separator', separator: '<|endoftext|>' },
      valFraction: 0.25,
      seed: 3,
      batchTokens: 64,
      onProgress: (p) => progress.push(p),
    });
    expect(r.meta.documents).toEqual({ train: 30, val: 10 });
    expect(r.meta.split).toEqual({ method: 'documents', valFraction: 0.25, seed: 3 });
    expect(r.meta.vocabSize).toBe(257);
    expect(r.meta.dtype).toBe('uint16');
    expect(readdirSync(out).sort()).toEqual(['meta.json', 'train.arrow', 'val.arrow']);
    const ds = await openDataset(out);
    const train = decodeAll(ds.split('train'));
    const val = decodeAll(ds.split('val'));
    const pieces = [...train.split('<|endoftext|>'), ...val.split('<|endoftext|>')].filter((s) => s.length > 0);
    expect(pieces.sort()).toEqual([...docs].sort());
    expect(train.endsWith('<|endoftext|>')).toBe(true);
    expect(ds.meta.tokens.train + ds.meta.tokens.val).toBe(docs.reduce((s, d) => s + Buffer.byteLength(d) + 1, 0));
    expect(progress.at(-1)!.phase).toBe('done');
    ds.close();
  });

  it('makes the last tokens the validation split when there are too few documents', async () => {
    const out = join(dir, 'shakespeare');
    const r = await prepareDataset({ inputs: [SHAKESPEARE], tokenizer: 'byte', out, valFraction: 0.1 });
    const text = readFileSync(SHAKESPEARE, 'utf8');
    expect(r.meta.split.method).toBe('tail');
    expect(r.meta.tokens.train + r.meta.tokens.val).toBe(Buffer.byteLength(text) + 1);
    expect(r.meta.tokens.val).toBe(Math.round((Buffer.byteLength(text) + 1) * 0.1));
    const ds = await openDataset(out);
    expect(decodeAll(ds.split('train')) + decodeAll(ds.split('val'))).toBe(`${text}<|endoftext|>`);
    expect(r.meta.sources).toEqual([
      { path: SHAKESPEARE, bytes: Buffer.byteLength(text), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), split: 'train' },
    ]);
    ds.close();
  });

  it('reproduces identical token files (hashes in meta.json) on a re-run', async () => {
    const inputs = [join(dir, 'stories.txt')];
    const opts = {
      inputs,
      tokenizer: 'byte',
      split: { kind: 'separator' as const, separator: '<|endoftext|>' },
      valFraction: 0.2,
      batchTokens: 100,
    };
    const a = await prepareDataset({ ...opts, out: join(dir, 'r1') });
    const b = await prepareDataset({ ...opts, out: join(dir, 'r2') });
    expect(a.meta.files).toEqual(b.meta.files);
    expect(readFileSync(join(dir, 'r1/train.arrow'))).toEqual(readFileSync(join(dir, 'r2/train.arrow')));
    const c = await prepareDataset({ ...opts, seed: 99, out: join(dir, 'r3') });
    expect(c.meta.files['train.arrow']!.sha256).not.toBe(a.meta.files['train.arrow']!.sha256);
  });

  it('writes the same files with tokenizer worker threads as inline', async () => {
    const opts = {
      inputs: [join(dir, 'stories.txt'), SHAKESPEARE],
      tokenizer: 'byte',
      split: { kind: 'blank-lines' as const },
      valFraction: 0.1,
    };
    const inline = await prepareDataset({ ...opts, out: join(dir, 'inline'), workers: 0 });
    const threaded = await prepareDataset({ ...opts, out: join(dir, 'threaded'), workers: 2 });
    expect(threaded.meta.files).toEqual(inline.meta.files);
    expect(threaded.meta.documents).toEqual(inline.meta.documents);
    expect(inline.meta.documents.train).toBeGreaterThan(1000);
  });

  it('takes validation from files named like validation data inside an input directory', async () => {
    const corpus = join(dir, 'corpus');
    mkdirSync(join(corpus, 'sub'), { recursive: true });
    writeFileSync(join(corpus, 'train_a.txt'), 'alpha');
    writeFileSync(join(corpus, 'sub', 'b.txt'), 'beta');
    writeFileSync(join(corpus, 'valid.txt'), 'gamma');
    writeFileSync(join(corpus, 'notes.bin'), Buffer.from([0, 1, 2]));
    const r = await prepareDataset({ inputs: [corpus], tokenizer: 'byte', out: join(dir, 'auto') });
    expect(r.meta.split.method).toBe('val-inputs');
    expect(r.meta.sources.map((s) => [s.path.slice(corpus.length + 1), s.split])).toEqual([
      ['sub/b.txt', 'train'],
      ['train_a.txt', 'train'],
      ['valid.txt', 'val'],
    ]);
    const ds = await openDataset(join(dir, 'auto'));
    expect(decodeAll(ds.split('train'))).toBe('beta<|endoftext|>alpha<|endoftext|>');
    expect(decodeAll(ds.split('val'))).toBe('gamma<|endoftext|>');
    ds.close();
  });

  it('leaves nothing behind when interrupted', async () => {
    const out = join(dir, 'interrupted');
    const ac = new AbortController();
    const run = prepareDataset({
      inputs: [SHAKESPEARE],
      tokenizer: 'byte',
      out,
      signal: ac.signal,
      onProgress: (p) => p.tokens > 0 && ac.abort(),
    });
    ac.abort();
    await expect(run).rejects.toThrow(/interrupted; nothing was written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('interrupted'))).toEqual([]);
  });

  it('fails on an empty corpus and leaves nothing', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const out = join(dir, 'empty-out');
    await expect(prepareDataset({ inputs: [empty], tokenizer: 'byte', out })).rejects.toThrow(
      /empty corpus: 1 input file\(s\) hold no text/,
    );
    expect(existsSync(out)).toBe(false);
    await expect(prepareDataset({ inputs: [join(dir, 'nope.txt')], tokenizer: 'byte', out })).rejects.toThrow(
      /--input .*nope.txt: no such file or directory/,
    );
    await expect(prepareDataset({ inputs: [SHAKESPEARE], tokenizer: 'byte', out: dir })).rejects.toThrow(
      /exists and is not a dataset directory/,
    );
  });
});
