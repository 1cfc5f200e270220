// Tests of prepareDataset on .txt inputs with the byte tokenizer: document and tail validation splits,
// reproducible files, worker threads, interruption, bad input. Not other formats or tokenizers (prepare-formats, prepare-tokenizers).

import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset, prepareDataset, type PrepareProgress } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { SHAKESPEARE, tempDir } from './helpers.js';

const root = tempDir('prepare');
const tok = new ByteTokenizer();

/** A fresh directory of this file's temporary root, one per test. */
function caseDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

/** 40 short stories, each followed by a line holding only <|endoftext|>, written to dir/stories.txt. */
function writeStories(dir: string): { path: string; docs: string[] } {
  const path = join(dir, 'stories.txt');
  const docs = Array.from({ length: 40 }, (_, i) => `Story ${i}: the cat sat on mat ${i}.\nThe end é ${'!'.repeat(1 + (i % 3))}`);
  writeFileSync(path, docs.map((d) => `${d}\n<|endoftext|>\n`).join(''));
  return { path, docs };
}

function decodeAll(split: { length: number; read(s: number, c: number): Int32Array }): string {
  return tok.decode(split.read(0, split.length));
}

/**
 * Writes text into the FIFO until `settled` resolves (at most ~64 MiB, then the file ends), so the corpus
 * does not end before the test says. Once prepare stops reading, writes fail (EPIPE), which ends it too.
 */
async function feedFifo(fifo: string, settled: Promise<unknown>): Promise<void> {
  let done = false;
  void settled.finally(() => (done = true));
  const opening = open(fifo, 'w'); // resolves once prepare opens the FIFO for reading
  if ((await Promise.race([opening, settled.then(() => null)])) === null) {
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)); // prepare never read it: let the open finish
  }
  const writer = await opening;
  const chunk = 'the cat sat on the mat and looked at the dog.\n'.repeat(1400); // ~64 KiB
  try {
    for (let i = 0; i < 1000 && !done; i++) {
      await writer.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
  } finally {
    await writer.close();
  }
}

describe('prepareDataset (.txt, byte)', () => {
  it('splits on a separator, joins documents with end-of-text, and round-trips exactly', async () => {
    const dir = caseDir('separator');
    const { path: corpus, docs } = writeStories(dir);
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
    const out = join(caseDir('tail'), 'shakespeare');
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
    const dir = caseDir('rerun');
    const opts = {
      inputs: [writeStories(dir).path],
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
    const dir = caseDir('workers');
    const opts = {
      inputs: [writeStories(dir).path, SHAKESPEARE],
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
    const dir = caseDir('auto-val');
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

  it('leaves nothing behind when interrupted while tokenizer workers are busy', async () => {
    const dir = caseDir('interrupt');
    const fifo = join(dir, 'endless.txt');
    execFileSync('mkfifo', [fifo]);
    const out = join(dir, 'interrupted');
    const ac = new AbortController();
    let atAbort: PrepareProgress | undefined;
    const run = prepareDataset({
      inputs: [fifo],
      tokenizer: 'byte',
      out,
      workers: 2,
      signal: ac.signal,
      onProgress: (p) => {
        if (atAbort || p.tokens === 0) return;
        atAbort = p;
        ac.abort();
      },
    });
    const outcome = run.then(
      () => 'finished',
      (e: Error) => e.message,
    );
    await feedFifo(fifo, outcome);
    expect(await outcome).toMatch(/interrupted; nothing was written/);
    // Work had started: workers had returned ids (tokens written), and more text was read than written (jobs in flight).
    expect(atAbort!.phase).toBe('tokenize');
    expect(atAbort!.tokens).toBeGreaterThan(0);
    expect(atAbort!.bytesDone).toBeGreaterThan(atAbort!.tokens);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['endless.txt']); // no dataset, no temporary sibling
  });

  it('fails on an empty corpus and leaves nothing', async () => {
    const dir = caseDir('empty');
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
