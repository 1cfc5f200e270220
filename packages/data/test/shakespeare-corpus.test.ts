// Tests of the built-in Shakespeare corpus: the file ships inside the package with its notice, and
// `prepare --input builtin:shakespeare` is that file prepared, recorded under its built-in name.
// Not the .txt reader's own rules (prepare-txt.test.ts).

import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareDataset, shakespearePath } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('shakespeare');
const PACKAGE = join(import.meta.dirname, '..');

describe('builtin:shakespeare', () => {
  it('is the whole of Tiny Shakespeare, inside the package, with its notice beside it', () => {
    const path = shakespearePath();
    expect(path.startsWith(join(PACKAGE, 'corpora'))).toBe(true);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(1_115_394);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed');
    expect(bytes.subarray(0, 14).toString()).toBe('First Citizen:');
    const notice = readFileSync(join(dirname(path), 'NOTICE.md'), 'utf8');
    expect(notice).toContain('karpathy/char-rnn');
    expect(notice).toContain('public domain');
  });

  it('prepares to the same token files as the file itself, its source named builtin:shakespeare', async () => {
    const named = await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out: join(dir, 'named') });
    const file = await prepareDataset({ inputs: [shakespearePath()], tokenizer: 'byte', out: join(dir, 'file') });
    expect(named.meta.files).toEqual(file.meta.files);
    expect(named.meta.tokens).toEqual({ train: 1_003_855, val: 111_540 });
    expect(named.meta.sources).toEqual([{ ...file.meta.sources[0], path: 'builtin:shakespeare' }]);
    expect(readFileSync(join(dir, 'named/train.arrow'))).toEqual(readFileSync(join(dir, 'file/train.arrow')));
  });

  it('is listed when a built-in name is unknown', async () => {
    const out = join(dir, 'unknown');
    await expect(prepareDataset({ inputs: ['builtin:shakespear'], tokenizer: 'byte', out })).rejects.toThrow(
      /--input builtin:shakespear: unknown built-in corpus; use builtin:shakespeare, builtin:brown/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
