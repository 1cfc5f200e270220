// Atomic writes of files and directories: write to a temporary sibling, then rename into place.
// Not a lock: two writers to the same path race, and the last rename wins.

import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { outputPathError } from './output-path.js';

function tempSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/**
 * Writes a file so that readers see either the old content or the new, never a half-written file.
 * A failure names `path` (a full disk: how much it needed and how much is free).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(path, 'tmp');
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw outputPathError(e, path, path, { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength });
  }
}

/** Temporaries this module writes (`.NAME.tmp-PID-xxxxxx`, `.NAME.old-PID-xxxxxx`): left only by a killed process. */
export const ATOMIC_TEMPORARY = /^\..+\.(tmp|old)-\d+-[a-z0-9]+$/;

/**
 * Builds a directory in a temporary sibling and renames it into place. If `fill` throws (or the
 * process dies), the destination is untouched and the temporary directory is removed (or left
 * as an ignorable dot-directory). An existing destination is replaced.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = tempSibling(dir, 'tmp');
  try {
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(tmp);
  } catch (e) {
    throw outputPathError(e, dir);
  }
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  try {
    if (existsSync(dir)) {
      const old = tempSibling(dir, 'old');
      await rename(dir, old);
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, dir);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw outputPathError(e, dir);
  }
}
