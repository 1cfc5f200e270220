// DataError: a bad corpus record or file, naming the file (and line) and a short reason that
// --skip-bad counts. Not for programming errors.

export class DataError extends Error {
  constructor(
    readonly file: string,
    /** Short reason, the key under which --skip-bad counts it ("invalid JSON", "binary file"...). */
    readonly reason: string,
    detail: string,
    readonly line?: number,
    /** True when the whole file is unusable (skip the file), false for one record. */
    readonly wholeFile = false,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}
