// Tests of openDataset on a prepared directory: reads across batches, version, count, dtype and missing-file errors, verify.
// Not the prepare pipeline (prepare-*.test.ts) and not llm.c / nanoGPT files (legacy-formats.test.ts).

import { cpSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset, prepareDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('open');
const good = join(dir, 'good');

beforeAll(async () => {
  const corpus = join(dir, 'c.txt');
  writeFileSync(corpus, Array.from({ length: 50 }, (_, i) => `line number ${i}`).join('\n'));
  await prepareDataset({ inputs: [corpus], tokenizer: 'byte', out: good, split: { kind: 'lines' }, valFraction: 0.2, batchTokens: 32 });
});

function damaged(name: string, edit: (meta: Record<string, unknown>) => void): string {
  const d = join(dir, name);
  cpSync(good, d, { recursive: true });
  const meta = JSON.parse(readFileSync(join(d, 'meta.json'), 'utf8'));
  edit(meta);
  writeFileSync(join(d, 'meta.json'), JSON.stringify(meta));
  return d;
}

describe('openDataset', () => {
  it('opens a prepared directory and reads across batches', async () => {
    const ds = await openDataset(good, { verify: true });
    expect(ds.kind).toBe('hyperclone');
    expect(ds.meta.documents).toEqual({ train: 40, val: 10 });
    const train = ds.split('train');
    expect(train.length).toBe(ds.meta.tokens.train);
    expect(train.read(30, 5).length).toBe(5);
    ds.close();
  });

  it('fails with a hint on an older format version, wrong counts, dtype or missing files', async () => {
    await expect(openDataset(damaged('old', (m) => (m['version'] = 0)))).rejects.toThrow(
      /format version 0 is older than the supported version 1; re-run hyperclone prepare/,
    );
    await expect(openDataset(damaged('new', (m) => (m['version'] = 9)))).rejects.toThrow(/version 9 is newer .* upgrade hyperclone/);
    await expect(openDataset(damaged('count', (m) => ((m['tokens'] as { train: number }).train += 1)))).rejects.toThrow(
      /train.arrow: holds \d+ tokens but meta.json says \d+/,
    );
    await expect(openDataset(damaged('dtype', (m) => (m['dtype'] = 'uint32')))).rejects.toThrow(
      /token column is uint16 but meta.json says uint32/,
    );
    await expect(openDataset(damaged('vocab', (m) => (m['vocabSize'] = 70000)))).rejects.toThrow(
      /vocabSize 70000 does not fit dtype uint16/,
    );
    await expect(openDataset(damaged('format', (m) => (m['format'] = 'other')))).rejects.toThrow(
      /format is "other", expected "hyperclone-tokens"/,
    );
    const noVal = damaged('noval', () => undefined);
    rmSync(join(noVal, 'val.arrow'));
    await expect(openDataset(noVal)).rejects.toThrow(/val.arrow: cannot open \(ENOENT\)/);
    await expect(openDataset(join(dir, 'missing'))).rejects.toThrow(/no such dataset directory; create one with hyperclone prepare/);
    await expect(openDataset(dir)).rejects.toThrow(/not a token dataset/);
  });

  it('detects changed files when asked to verify', async () => {
    const d = damaged('changed', () => undefined);
    const bytes = readFileSync(join(d, 'train.arrow'));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 1; // a token in the middle of the body
    writeFileSync(join(d, 'train.arrow'), bytes);
    await expect(openDataset(d, { verify: true })).rejects.toThrow(/sha256 .* differs from meta.json/);
  });
});
