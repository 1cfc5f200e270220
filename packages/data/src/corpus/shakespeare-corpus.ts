// The built-in Shakespeare corpus (`--input builtin:shakespeare`): Tiny Shakespeare, shipped whole
// with this package (corpora/tinyshakespeare, with its notice). Not a reader: it is read as a .txt file.

import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InputFile } from './input-files.js';

/** The file inside the package: two folders above this module in src/ and in dist/ alike. */
export function shakespearePath(): string {
  return fileURLToPath(new URL('../../corpora/tinyshakespeare/input.txt', import.meta.url));
}

/** The corpus as the .txt file it is (documents split by the prepare options, bytes hashed as read). */
export function shakespeareFile(): InputFile {
  const path = shakespearePath();
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch {
    throw new Error(`builtin:shakespeare: ${path} is missing; reinstall @hyperclone/data (its package ships the text)`);
  }
  return { path, format: 'txt', gzip: false, bytes, fromDir: false };
}
