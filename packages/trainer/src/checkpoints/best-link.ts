// checkpoints/best replaced in one rename: each best is a complete directory best-NNNNNNNN, and `best`
// is a relative symbolic link to it, swapped by renaming a new link over the old one. Where links are
// not allowed, best is a directory replaced by two renames (and recovered at the next start, see
// run-recovery.ts). Not the checkpoint format (core) or the step checkpoints (checkpoint-store.ts).

import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { readdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';

export const BEST = 'best';
/** A best checkpoint's own directory: best-NNNNNNNN (the step it was saved at). */
export const BEST_DIR = /^best-(\d+)$/;

export function bestDirName(step: number): string {
  return `best-${String(step).padStart(8, '0')}`;
}

/** The best-N directory `best` links to, or null (no link: absent, or a plain directory). */
export function bestTarget(dir: string): string | null {
  try {
    return lstatSync(join(dir, BEST)).isSymbolicLink() ? readlinkSync(join(dir, BEST)) : null;
  } catch {
    return null;
  }
}

/**
 * Writes the new best with `write` (an atomic directory write) into best-N, then swaps the link; the
 * previous best-N directories are removed after the swap, so a crash at any point leaves a valid best.
 */
export async function replaceBest(dir: string, step: number, write: (path: string) => Promise<void>): Promise<void> {
  const name = bestDirName(step);
  await write(join(dir, name));
  try {
    await pointBestAt(dir, name);
  } catch (e) {
    if (!linksUnsupported(e)) throw e;
    await rm(join(dir, name), { recursive: true, force: true });
    await write(join(dir, BEST)); // no links here: a directory, replaced by two renames
    return;
  }
  await removeOtherBests(dir, name);
}

/** Points `best` at the directory `name` in one rename (a plain best directory of an older run is moved aside first). */
export async function pointBestAt(dir: string, name: string): Promise<void> {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const link = join(dir, `.best.link-${tag}`);
  await symlink(name, link);
  try {
    const best = join(dir, BEST);
    if (existsSync(best) && !lstatSync(best).isSymbolicLink()) await rename(best, join(dir, `.best.old-${tag}`));
    await rename(link, best);
  } catch (e) {
    await rm(link, { force: true });
    throw e;
  }
  await rm(join(dir, `.best.old-${tag}`), { recursive: true, force: true });
}

async function removeOtherBests(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (BEST_DIR.test(name) && name !== keep) await rm(join(dir, name), { recursive: true, force: true });
  }
}

function linksUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOSYS' || code === 'EOPNOTSUPP' || code === 'ENOTSUP';
}
