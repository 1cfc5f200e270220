// Tests of the Arrow token files: writer/reader round trips across record batches, apache-arrow reading them, bad ids, damaged files.
// Not the dataset directory around them (open-dataset.test.ts).

import { readFileSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ArrowTokenFile } from '../src/dataset/arrow-token-file.js';
import { ArrowTokenWriter } from '../src/dataset/arrow-token-writer.js';
import { tempDir } from './helpers.js';

const dir = tempDir('arrow');

async function writeTokens(
  path: string,
  ids: number[],
  batchTokens: number,
  dtype: 'uint16' | 'uint32' = 'uint16',
  vocabSize = 65536,
): Promise<void> {
  const w = await ArrowTokenWriter.create(path, { dtype, vocabSize, batchTokens });
  // append in uneven pieces so batch boundaries fall inside appends
  for (let i = 0; i < ids.length; i += 5) await w.append(ids.slice(i, i + 5));
  const r = await w.close();
  expect(r.tokens).toBe(ids.length);
  expect(r.batches).toBe(Math.ceil(ids.length / batchTokens));
  expect(r.bytes).toBe(statSync(path).size);
}

describe('Arrow token files', () => {
  const ids = Array.from({ length: 103 }, (_, i) => (i * 7919) % 65536);

  it('reads back any range across record batch boundaries', async () => {
    const path = join(dir, 'a.arrow');
    await writeTokens(path, ids, 10);
    const f = ArrowTokenFile.open(path, 'train');
    expect(f.length).toBe(103);
    expect(f.batchCount).toBe(11);
    expect(f.batchTokens).toBe(10);
    expect(f.dtype).toBe('uint16');
    for (const [start, count] of [
      [0, 103],
      [9, 2],
      [10, 10],
      [17, 40],
      [100, 3],
      [50, 0],
    ] as const) {
      expect(Array.from(f.read(start, count))).toEqual(ids.slice(start, start + count));
    }
    expect(() => f.read(100, 4)).toThrow(/cannot read 4 tokens at 100; the split has 103 tokens/);
    f.close();
    expect(() => f.read(0, 1)).toThrow(/read after close/);
  });

  it('is a valid Arrow IPC file for apache-arrow', async () => {
    const path = join(dir, 'b.arrow');
    await writeTokens(path, ids, 16, 'uint32', 100000);
    const table = tableFromIPC(readFileSync(path));
    expect(table.numRows).toBe(103);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['token']);
    expect(table.batches.length).toBe(7);
    expect(Array.from(table.getChild('token')!.toArray() as Uint32Array)).toEqual(ids);
    const f = ArrowTokenFile.open(path, 'val');
    expect(f.dtype).toBe('uint32');
    expect(Array.from(f.read(15, 3))).toEqual(ids.slice(15, 18));
    f.close();
  });

  it('writes an empty file that reads as zero tokens', async () => {
    const path = join(dir, 'empty.arrow');
    await writeTokens(path, [], 8);
    const f = ArrowTokenFile.open(path, 'val');
    expect(f.length).toBe(0);
    expect(tableFromIPC(readFileSync(path)).numRows).toBe(0);
    f.close();
  });

  it('rejects ids outside the vocabulary or the dtype', async () => {
    const w = await ArrowTokenWriter.create(join(dir, 'bad.arrow'), { dtype: 'uint16', vocabSize: 257, batchTokens: 4 });
    await expect(w.append([1, 2, 257])).rejects.toThrow(/token id 257 at position 2 is outside \[0, 257\)/);
    await w.abort();
    await expect(ArrowTokenWriter.create(join(dir, 'bad2.arrow'), { dtype: 'uint16', vocabSize: 70000 })).rejects.toThrow(
      /70000 ids does not fit uint16; use dtype uint32/,
    );
  });

  it('fails with a hint on truncated or foreign files', async () => {
    const path = join(dir, 'c.arrow');
    await writeTokens(path, ids, 10);
    const cut = join(dir, 'cut.arrow');
    copyFileSync(path, cut);
    truncateSync(cut, statSync(path).size - 20);
    expect(() => ArrowTokenFile.open(cut, 'train')).toThrow(/not an Arrow IPC file .*re-run hyperclone prepare/);
    const junk = join(dir, 'junk.arrow');
    writeFileSync(junk, 'hello, this is not arrow at all');
    expect(() => ArrowTokenFile.open(junk, 'train')).toThrow(/not an Arrow IPC file/);
    expect(() => ArrowTokenFile.open(join(dir, 'missing.arrow'), 'train')).toThrow(/cannot open \(ENOENT\)/);
  });
});
