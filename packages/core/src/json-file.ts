// JSON and JSON-lines files read back with the file named in every parse error; a torn last line of
// a JSONL log (a crash mid-write) is dropped with a warning. Not writing them (atomic.ts).

import { readFileSync } from 'node:fs';

/** A JSON file's value; a parse error names the file. */
export function readJsonFile<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); repair or remove it`);
  }
}

/** Told about a torn last line that was dropped. */
export type OnTorn = (message: string) => void;

/** The rows of a JSONL file (blank lines skipped). A bad line other than an unterminated last one is an error naming file and line. */
export function readJsonl<T>(path: string, onTorn?: OnTorn): T[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const rows: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line) as T);
    } catch (e) {
      const torn = i === lines.length - 1; // no newline after it: the write was cut short
      if (!torn) throw new Error(`${path} line ${i + 1} is not valid JSON (${(e as Error).message}); repair or remove that line`);
      onTorn?.(`${path}: dropped a torn last line (a crash mid-write): ${line.slice(0, 60)}`);
    }
  }
  return rows;
}
