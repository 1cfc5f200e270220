// Test helpers: temporary directories and the shared corpora.
// Not a test.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** ../shared beside the checkout (CI lays a copy there too). */
export const CORPORA = join(import.meta.dirname, '../../../../shared/corpora');
export const SHAKESPEARE = join(CORPORA, 'tinyshakespeare/input.txt');
export const TINYSTORIES = join(CORPORA, 'tinystories');

export function allCorpusFiles(): string[] {
  return readdirSync(CORPORA).flatMap((d) => readdirSync(join(CORPORA, d)).map((f) => join(CORPORA, d, f)));
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(tag = 'data'): string {
  const dir = mkdtempSync(join(tmpdir(), `hyperclone-${tag}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
