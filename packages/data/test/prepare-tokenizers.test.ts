// Tests of prepare with bpe:N trained on the built-in stories, hf:DIR and gpt2: the tokens written match the tokenizer's own.
// Not the encoders themselves (tokenizers.test.ts, byte-tokenizer.test.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateStories } from '../src/corpus/story-corpus.js';
import { loadTokenizer, openDataset, prepareDataset, type PrepareResult } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('preptok');
const bpeOut = join(dir, 'bpe');
let bpe: PrepareResult;

beforeAll(async () => {
  bpe = await prepareDataset({ inputs: ['builtin:stories:0.1'], tokenizer: 'bpe:512', out: bpeOut, valFraction: 0.1, seed: 5 });
});

describe('prepare with trained and loaded tokenizers', () => {
  it('trains bpe:N on the built-in stories and round-trips the validation documents', async () => {
    const stories = [...generateStories({ bytes: 0.1 * 2 ** 20 })];
    expect(bpe.meta).toMatchObject({
      tokenizer: 'bpe:512',
      tokenizerFile: 'tokenizer.json',
      vocabSize: 512,
      eotId: 511,
      split: { method: 'documents' },
    });
    expect(bpe.meta.documents.train + bpe.meta.documents.val).toBe(stories.length);
    expect(Math.abs(bpe.meta.documents.val - stories.length * 0.1)).toBeLessThanOrEqual(1); // systematic sample: floor or ceil
    const tok = await loadTokenizer(bpeOut);
    const ds = await openDataset(bpeOut);
    const val = tok
      .decode(ds.split('val').read(0, ds.split('val').length))
      .split('<|endoftext|>')
      .slice(0, -1);
    const train = tok
      .decode(ds.split('train').read(0, ds.split('train').length))
      .split('<|endoftext|>')
      .slice(0, -1);
    expect(val.length).toBe(bpe.meta.documents.val);
    expect([...train, ...val].sort()).toEqual([...stories].sort());
    expect(bpe.meta.sources).toEqual([expect.objectContaining({ path: 'builtin:stories:0.1', split: 'train' })]);
    ds.close();
  });

  it('hf:DIR (@huggingface/tokenizers) on the saved tokenizer writes the same tokens, inline and on workers', async () => {
    const opts = { inputs: ['builtin:stories:0.1'], tokenizer: `hf:${bpeOut}`, valFraction: 0.1, seed: 5 };
    const inline = await prepareDataset({ ...opts, out: join(dir, 'hf0'), workers: 0 });
    expect(inline.meta.tokenizer).toBe('hf:bpe');
    expect(inline.meta.files['train.arrow']).toEqual(bpe.meta.files['train.arrow']);
    expect(inline.meta.files['val.arrow']).toEqual(bpe.meta.files['val.arrow']);
    const threaded = await prepareDataset({ ...opts, out: join(dir, 'hf2'), workers: 2 });
    expect(threaded.meta.files['train.arrow']).toEqual(bpe.meta.files['train.arrow']);
    expect(readFileSync(join(dir, 'hf2', 'tokenizer.json'), 'utf8')).toBe(readFileSync(join(bpeOut, 'tokenizer.json'), 'utf8'));
    expect((await loadTokenizer(join(dir, 'hf2'))).name).toBe('hf:hf2');
  });

  it('gpt2 through prepare matches the tokenizer directly', async () => {
    const r = await prepareDataset({ inputs: ['builtin:stories:0.05'], tokenizer: 'gpt2', out: join(dir, 'gpt2'), valFraction: 0 });
    expect(r.meta).toMatchObject({ tokenizer: 'gpt2', tokenizerFile: null, vocabSize: 50257, eotId: 50256, dtype: 'uint16' });
    const tok = await loadTokenizer(join(dir, 'gpt2'));
    const ds = await openDataset(join(dir, 'gpt2'));
    const first = [...generateStories({ bytes: 1 })][0]!;
    const ids = Array.from(tok.encode(first));
    expect(Array.from(ds.split('train').read(0, ids.length + 1))).toEqual([...ids, 50256]);
    ds.close();
  });
});
