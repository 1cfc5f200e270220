// What a crash can leave in a run directory, repaired at the next start (under the run's lock, so no
// other writer is busy): a missing or dangling checkpoints/best recovered from what is there, and the
// temporaries of interrupted atomic writes swept. Not the writes themselves (core's atomic.ts, best-link.ts).

import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ATOMIC_TEMPORARY, isCheckpointDir } from '@hyperclone/core';
import { BEST, BEST_DIR, bestDirName, bestTarget, pointBestAt } from './best-link.js';
import { stepOf } from './checkpoint-store.js';

const LINK_TEMPORARY = /^\.best\.link-/;

/** Repairs `runDir` after a crash; `warn` says what was done. */
export async function recoverRun(runDir: string, warn: (message: string) => void): Promise<void> {
  if (!existsSync(runDir)) return;
  const dir = join(runDir, 'checkpoints');
  if (existsSync(dir)) await recoverBest(dir, warn);
  const swept = [...(await sweep(runDir)), ...(existsSync(dir) ? await sweep(dir) : [])];
  if (swept.length > 0)
    warn(
      `removed ${swept.length} stale temporaries left by an interrupted write: ${swept.map((p) => p.slice(runDir.length + 1)).join(', ')}`,
    );
}

/**
 * A best that does not load (absent, or a link to nothing) is rebuilt from, in order: a complete
 * `.best.tmp-P-*` whose `.best.old-P-*` sibling shows the two-rename swap got past its first rename; the
 * newest best-N directory; the previous best a swap moved aside (`.best.old-*`).
 */
async function recoverBest(dir: string, warn: (message: string) => void): Promise<void> {
  const best = join(dir, BEST);
  const target = bestTarget(dir);
  if (target !== null && target !== basename(target) && BEST_DIR.test(basename(target)) && isCheckpointDir(join(dir, basename(target)))) {
    await pointBestAt(dir, basename(target)); // a copy that made the link absolute (fs.cp does): point it here again
    return;
  }
  if (isCheckpointDir(best)) return;
  const names = readdirSync(dir);
  const from = recoverySource(dir, names);
  if (!from) return;
  if (present(best)) await rm(best, { recursive: true, force: true }); // a link to nothing
  let name = from;
  if (!BEST_DIR.test(from)) {
    name = bestDirName(stepOf(join(dir, from)) ?? 0);
    await rename(join(dir, from), join(dir, name));
  }
  try {
    await pointBestAt(dir, name);
  } catch {
    await rename(join(dir, name), best); // no links here: best is a directory
  }
  warn(`checkpoints/best was missing (an interrupted replacement); recovered it from ${from}`);
}

function recoverySource(dir: string, names: string[]): string | null {
  const pidOf = (name: string): string | undefined => /^\.best\.(?:tmp|old)-(\d+)-/.exec(name)?.[1];
  const olds = names.filter((n) => n.startsWith('.best.old-'));
  const swapped = names.filter((n) => n.startsWith('.best.tmp-') && olds.some((o) => pidOf(o) === pidOf(n)));
  const bests = names
    .filter((n) => BEST_DIR.test(n))
    .sort()
    .reverse();
  return [...swapped, ...bests, ...olds].find((n) => isCheckpointDir(join(dir, n))) ?? null;
}

/** Removes the temporaries of interrupted atomic writes and best-N directories `best` does not point at. */
async function sweep(dir: string): Promise<string[]> {
  const linked = bestTarget(dir);
  const target = linked === null ? null : basename(linked);
  const stale = readdirSync(dir).filter(
    (n) => ATOMIC_TEMPORARY.test(n) || LINK_TEMPORARY.test(n) || (BEST_DIR.test(n) && target !== null && n !== target),
  );
  for (const n of stale) await rm(join(dir, n), { recursive: true, force: true });
  return stale.map((n) => join(dir, n));
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
