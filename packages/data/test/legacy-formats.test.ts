// Tests of opening llm.c .bin shards and nanoGPT train.bin/val.bin with openDataset, and their size and vocabulary checks.
// Not hyperclone's Arrow datasets (open-dataset.test.ts); hyperclone never writes these formats.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchSampler, openDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('legacy');

/** An llm.c shard: 256 int32 header (magic 20240520, version 1, count), then uint16 tokens. */
function llmcShard(path: string, tokens: number[], count = tokens.length): void {
  const header = new Int32Array(256);
  header[0] = 20240520;
  header[1] = 1;
  header[2] = count;
  writeFileSync(path, Buffer.concat([Buffer.from(header.buffer), Buffer.from(Uint16Array.from(tokens).buffer)]));
}

describe('llm.c and nanoGPT token files', () => {
  it('reads llm.c .bin shards as one split per name, in order', async () => {
    const d = join(dir, 'llmc');
    mkdirSync(d);
    const t0 = Array.from({ length: 300 }, (_, i) => i);
    const t1 = Array.from({ length: 200 }, (_, i) => 50000 + i);
    llmcShard(join(d, 'fineweb_train_000001.bin'), t0);
    llmcShard(join(d, 'fineweb_train_000002.bin'), t1);
    llmcShard(join(d, 'fineweb_val_000000.bin'), [1, 2, 3, 50256]);
    const ds = await openDataset(d);
    expect(ds.kind).toBe('llm.c');
    expect(ds.meta).toMatchObject({ vocabSize: 50257, eotId: 50256, tokenizer: 'gpt2', tokens: { train: 500, val: 4 } });
    const train = ds.split('train');
    expect(Array.from(train.read(295, 10))).toEqual([...t0.slice(295), ...t1.slice(0, 5)]);
    expect(Array.from(ds.split('val').read(0, 4))).toEqual([1, 2, 3, 50256]);
    const batch = new BatchSampler(train, { batchSize: 2, seqLen: 16, seed: 0 }).next();
    for (let t = 0; t < 15; t++) expect(batch.targets[t]).toBe(batch.inputs[t + 1]);
    ds.close();
  });

  it('rejects a truncated llm.c shard with the counts', async () => {
    const d = join(dir, 'llmc-bad');
    mkdirSync(d);
    llmcShard(join(d, 'x_train.bin'), [1, 2, 3], 10);
    llmcShard(join(d, 'x_val.bin'), [1, 2, 3]);
    await expect(openDataset(d)).rejects.toThrow(/x_train.bin: header says 10 tokens \(1044 bytes\) but the file has 1030 bytes/);
  });

  it('reads nanoGPT train.bin / val.bin (raw uint16) and checks the vocabulary fits', async () => {
    const d = join(dir, 'nanogpt');
    mkdirSync(d);
    writeFileSync(join(d, 'train.bin'), Buffer.from(Uint16Array.from([5, 6, 7, 8, 9]).buffer));
    writeFileSync(join(d, 'val.bin'), Buffer.from(Uint16Array.from([1, 2]).buffer));
    const ds = await openDataset(d, { vocabSize: 65, eotId: 0, tokenizer: 'char' });
    expect(ds.kind).toBe('nanogpt');
    expect(ds.meta).toMatchObject({ vocabSize: 65, tokenizer: 'char', tokens: { train: 5, val: 2 } });
    expect(Array.from(ds.split('train').read(1, 3))).toEqual([6, 7, 8]);
    ds.close();
    await expect(openDataset(d, { vocabSize: 100000 })).rejects.toThrow(/vocabSize 100000 does not fit the uint16 tokens of nanogpt files/);
  });
});
