// Test helpers: temporary directories and the corpora the tests read (the built-in Shakespeare and
// the excerpts under fixtures/corpora, all inside the repository). Not a test.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { shakespearePath } from '../src/index.js';

/** The repository's third-party excerpts (each folder has a NOTICE.md naming source and licence). */
export const FIXTURE_CORPORA = join(import.meta.dirname, '../../../fixtures/corpora');
/** Tiny Shakespeare as this package ships it (`builtin:shakespeare`). */
export const SHAKESPEARE = shakespearePath();
export const TINYSTORIES = join(FIXTURE_CORPORA, 'tinystories');

/** Every real corpus file the tests have: Shakespeare and each excerpt (not the notices). */
export function allCorpusFiles(): string[] {
  const excerpts = readdirSync(FIXTURE_CORPORA).flatMap((d) =>
    readdirSync(join(FIXTURE_CORPORA, d))
      .filter((f) => f.endsWith('.txt'))
      .map((f) => join(FIXTURE_CORPORA, d, f)),
  );
  return [SHAKESPEARE, ...excerpts];
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(tag = 'data'): string {
  const dir = mkdtempSync(join(tmpdir(), `hyperclone-${tag}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
