// Shared test fixtures: the Tiny Shakespeare byte dataset (prepared once per test file into a temp
// folder) and a fresh temp directory per run. Not a test file.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '@hyperclone/data';

export function tempDir(prefix = 'hc-trainer-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Tiny Shakespeare (`builtin:shakespeare`) as a byte-level token dataset (1.0M train, 0.11M val tokens). */
export async function shakespeareDataset(): Promise<string> {
  const out = join(tempDir('hc-data-'), 'ts');
  await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out });
  return out;
}
