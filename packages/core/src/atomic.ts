// Atomic writes of files and directories: write to a temporary sibling, then rename into place.
// Not a lock: two writers to the same path race, and the last rename wins.

import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Writes a file so that readers see either the old content or the new, never a half-written file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path, 'tmp');
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Builds a directory in a temporary sibling and renames it into place. If `fill` throws (or the
 * process dies), the destination is untouched and the temporary directory is removed (or left
 * as an ignorable dot-directory). An existing destination is replaced.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir, 'tmp');
  await mkdir(tmp);
  try {
    await fill(tmp);
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
    throw e;
  }
}
