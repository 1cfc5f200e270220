// One writer per output directory: an exclusive lock file beside the directory (`.NAME.lock`, created
// with O_EXCL, holding PID, host and start time), taken over when its holder is dead. Not a lock
// against readers, and not atomic writes (atomic.ts).

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { outputPathError } from './output-path.js';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What holds it: 'train', 'bench', 'prepare', ... */
  command: string;
  /** Tells two holders with the same PID apart (a PID reused after a crash). */
  token: string;
}

export interface DirLock {
  /** The directory locked (absolute). */
  readonly dir: string;
  /** The lock file. */
  readonly file: string;
  /** Removes the lock file (and parent directories the lock created, when they are still empty). Idempotent. */
  release(): void;
}

export interface LockOptions {
  /** Who takes the lock, for the message a second writer gets ('train', 'bench', 'prepare'). */
  command: string;
  /** How the directory is named to the user (default: its path), e.g. `--out runs/a`. */
  label?: string;
  /** Told when a lock left by a dead process is taken over. */
  onTakeover?: (message: string) => void;
}

/** A lock held by a live process, or one whose holder cannot be checked (another host). */
export class LockedError extends Error {
  constructor(
    message: string,
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

const held = new Map<string, DirLock>();
let exitHookInstalled = false;

/** The lock file of a directory: a dot-file beside it, so the directory itself can be replaced whole. */
export function lockFileOf(dir: string): string {
  const abs = resolve(dir);
  return join(dirname(abs), `.${basename(abs)}.lock`);
}

/**
 * Takes the directory's lock for this process, or throws LockedError naming the holder's PID. The
 * directory itself is not created; missing parents are (and removed again on release if still empty).
 * Unwritable places fail here with a plain reason (read-only file system, a file in the way).
 */
export function lockDir(dir: string, o: LockOptions): DirLock {
  const abs = resolve(dir);
  const label = o.label ?? dir;
  refuseFileInTheWay(abs, label);
  const file = lockFileOf(abs);
  let created: string | undefined;
  try {
    created = mkdirSync(dirname(abs), { recursive: true });
  } catch (e) {
    throw outputPathError(e, dirname(abs), label);
  }
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: o.command,
    token: Math.random().toString(36).slice(2, 10),
  };
  try {
    acquire(file, me, label, o);
  } catch (e) {
    removeCreated(dirname(abs), created);
    throw e;
  }
  const lock: DirLock = {
    dir: abs,
    file,
    release: () => {
      if (held.get(file) !== lock) return;
      held.delete(file);
      if (sameHolder(readHolder(file), me)) unlinkQuietly(file);
      removeCreated(dirname(abs), created);
    },
  };
  held.set(file, lock);
  installExitHook();
  return lock;
}

function refuseFileInTheWay(abs: string, label: string): void {
  for (let p = abs; ; p = dirname(p)) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // missing: look further up
    }
    if (isDir === false) {
      throw new Error(
        p === abs ? `${label} is a file, not a directory; choose a directory path` : `${label}: ${p} is a file, not a directory`,
      );
    }
    if (isDir || dirname(p) === p) return;
  }
}

function acquire(file: string, me: LockHolder, label: string, o: LockOptions): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file, me, label)) return;
    const holder = readHolder(file);
    if (holder === 'missing') continue; // released between our two calls
    const verdict = judge(holder, file);
    if (verdict === 'alive') throw lockedError(label, holder === 'unreadable' ? null : holder, file);
    if (takeOver(file, holder)) {
      const who =
        holder === 'unreadable' ? 'an unreadable lock' : `a lock left by PID ${holder.pid} (${holder.command}, no longer running)`;
      o.onTakeover?.(`${label}: took over ${who}; ${file} is now this process's (PID ${process.pid})`);
    }
  }
  throw lockedError(label, null, file);
}

function createExclusive(file: string, me: LockHolder, label: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw outputPathError(e, dirname(file), label);
  }
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

type ReadHolder = LockHolder | 'missing' | 'unreadable';

function readHolder(file: string): ReadHolder {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the holder may still be writing. An unreadable lock is given a few seconds (its holder may be mid-write). */
function judge(holder: LockHolder | 'unreadable', file: string): 'alive' | 'dead' {
  if (holder === 'unreadable') return ageMs(file) > 10_000 ? 'dead' : 'alive';
  if (holder.host !== hostname()) return 'alive'; // cannot tell: another machine's process
  if (holder.pid === process.pid) return [...held.values()].some((l) => l.file === file) ? 'alive' : 'dead';
  try {
    process.kill(holder.pid, 0);
    return 'alive';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

/**
 * Removes a dead holder's lock so the next O_EXCL create can win. A guard file (O_EXCL too) makes the
 * check-and-remove one step among processes taking over at once; a guard left by a crash expires.
 */
function takeOver(file: string, dead: LockHolder | 'unreadable'): boolean {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch {
    if (ageMs(guard) > 10_000) unlinkQuietly(guard);
    return false;
  }
  closeSync(fd);
  try {
    const now = readHolder(file);
    if (dead === 'unreadable' ? now !== 'unreadable' : !sameHolder(now, dead)) return false; // someone else got there first
    const aside = `${file}.stale-${process.pid}`;
    renameSync(file, aside);
    unlinkQuietly(aside);
    return true;
  } finally {
    unlinkQuietly(guard);
  }
}

function lockedError(label: string, holder: LockHolder | null, file: string): LockedError {
  if (!holder) return new LockedError(`${label} is locked by another process (${file} is being written); try again in a moment`, null);
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  const self = holder.pid === process.pid ? ' (this process)' : '';
  const hint = holder.host === hostname() ? 'wait for it to finish or stop it' : `if no such process runs there, remove ${file}`;
  return new LockedError(
    `${label} is in use by PID ${holder.pid}${self}${where} (hyperclone ${holder.command}, since ${holder.startedAt}); ${hint}`,
    holder,
  );
}

function sameHolder(a: ReadHolder, b: LockHolder): boolean {
  return typeof a === 'object' && a.pid === b.pid && a.host === b.host && a.token === b.token;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Removes the directories mkdir created (from `dir` up to `created`) while they are empty. */
function removeCreated(dir: string, created: string | undefined): void {
  if (created === undefined) return;
  for (let p = dir; p.length >= created.length; p = dirname(p)) {
    try {
      rmdirSync(p);
    } catch {
      return; // not empty (the command wrote there) or gone
    }
    if (p === created) return;
  }
}

/** Locks are released on process.exit too (a second Ctrl-C exits at once); SIGKILL leaves a lock for takeover. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held.values()]) lock.release();
  });
}
