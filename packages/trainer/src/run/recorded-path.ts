// Paths as a run (or a benchmark) records them: relative to its own directory, so the folder can be
// moved or copied and still be read. Not where anything is written (run-files.ts).

import { isAbsolute, relative, resolve } from 'node:path';

/** `path` as recorded in a file inside `dir`: relative to `dir` ('.' for `dir` itself). */
export function recordPath(dir: string, path: string): string {
  return relative(resolve(dir), resolve(path)) || '.';
}

/** A path recorded by `recordPath` (or an absolute one, as older runs wrote) read back from `dir`. */
export function readPath(dir: string, recorded: string): string {
  return isAbsolute(recorded) ? recorded : resolve(dir, recorded);
}
