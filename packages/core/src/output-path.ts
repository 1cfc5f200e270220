// Errors of writing an output, said in words: a read-only file system, no permission, a file where a
// directory belongs, a full disk (which file, how much it needed, how much is free). Not the writes.

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** An error whose message names the path it was about; `code` keeps the system's code (ENOSPC, EROFS...). */
export class OutputError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly path: string,
  ) {
    super(message);
  }
}

/** What a write needed, for a full disk's message: `{bytes, of: 'the checkpoint'}`. */
export interface Needed {
  bytes: number;
  /** Whose size `bytes` is (default 'it': the file). */
  of?: string;
}

/** The error of creating or writing `path` (`label`: how the user named the output, e.g. `--out RUN`). */
export function outputPathError(e: unknown, path: string, label = path, needed?: Needed): Error {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof OutputError) return e;
  switch (err.code) {
    case 'EROFS':
      return new OutputError(`cannot write ${label}: ${path} is on a read-only file system; choose another place`, err.code, path);
    case 'EACCES':
    case 'EPERM':
      return new OutputError(`cannot write ${label}: permission denied at ${path}; choose a place you can write to`, err.code, path);
    case 'ENOTDIR':
      return new OutputError(`cannot write ${label}: a part of ${path} is a file, not a directory`, err.code, path);
    case 'ENOSPC':
    case 'EDQUOT':
      return noSpaceError(path, needed, err.code);
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/** `no space left on device writing FILE (the checkpoint needs N MiB; M MiB free there)`. */
export function noSpaceError(path: string, needed: Needed | undefined, code = 'ENOSPC'): OutputError {
  const free = freeBytes(path);
  const neededText = needed === undefined ? '' : `${needed.of ?? 'it'} needs ${mib(needed.bytes)}`;
  const freeText = free === null ? '' : `${mib(free)} free there`;
  const detail = [neededText, freeText].filter(Boolean).join('; ');
  return new OutputError(`no space left on device writing ${path}${detail ? ` (${detail})` : ''}; free some space`, code, path);
}

/** True for a full disk or an exhausted quota (the raw error or one of ours). */
export function isNoSpace(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function freeBytes(path: string): number | null {
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(p) === p) return null;
    }
  }
}

function mib(bytes: number): string {
  return bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
