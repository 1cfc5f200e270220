// Expands --input arguments (files, directories walked recursively, globs) into an ordered list of
// corpus files with their format. Not a reader: see the *-documents.ts files.

import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { brownTaggedBytes } from './brown-corpus.js';
import { parseBuiltin, type BuiltinInput } from './builtin-inputs.js';
import { shakespeareFile } from './shakespeare-corpus.js';

export type InputFormat = 'txt' | 'jsonl' | 'parquet' | 'builtin';

export interface InputFile {
  path: string;
  format: InputFormat;
  gzip: boolean;
  bytes: number;
  /** Found inside a directory (as opposed to named explicitly). */
  fromDir: boolean;
}

const TEXT_EXT = ['.txt', '.text', '.md'];
const JSONL_EXT = ['.jsonl', '.ndjson', '.json'];

/** Format from the file name; null when a directory walk should ignore it. */
function formatOf(path: string): { format: InputFormat; gzip: boolean } | null {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const name = gzip ? lower.slice(0, -3) : lower;
  if (name.endsWith('.parquet')) return gzip ? null : { format: 'parquet', gzip };
  if (JSONL_EXT.some((e) => name.endsWith(e))) return { format: 'jsonl', gzip };
  if (TEXT_EXT.some((e) => name.endsWith(e))) return { format: 'txt', gzip };
  return null;
}

/** Names that mark a file as a validation split (valid.txt, valid_v1_head.txt, val-00000.parquet...). */
export function looksLikeValidation(path: string): boolean {
  return /(^|[_\-.])(val|valid|validation)([_\-.]|$)/i.test(basename(path));
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function expandGlob(pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((p) => /[*?[]/.test(p));
  const base = parts.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
  const rest = parts.slice(firstGlob).join('/');
  if (!existsSync(base)) return [];
  const re = globToRegExp(rest);
  return (await walk(base)).filter((p) => re.test(relative(base, p).split(sep).join('/')));
}

/** Progress size of a built-in input: the file's bytes, the story budget, or the Brown part's tagged bytes. */
function builtinBytes(builtin: BuiltinInput): number {
  if (builtin.name === 'shakespeare') return shakespeareFile().bytes;
  return builtin.name === 'stories' ? builtin.bytes : brownTaggedBytes(builtin.part);
}

/** Expands inputs in the order given; files inside directories and globs are sorted by path. */
export async function expandInputs(inputs: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const add = async (path: string, fromDir: boolean): Promise<void> => {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    const fmt = formatOf(path);
    if (!fmt && fromDir) return;
    seen.add(abs);
    out.push({
      path,
      format: fmt?.format ?? 'txt',
      gzip: fmt?.gzip ?? path.toLowerCase().endsWith('.gz'),
      bytes: (await stat(path)).size,
      fromDir,
    });
  };
  for (const input of inputs) {
    const builtin = parseBuiltin(input);
    if (builtin) {
      out.push({ path: input, format: 'builtin', gzip: false, bytes: builtinBytes(builtin), fromDir: false });
      continue;
    }
    if (/[*?[]/.test(input) && !existsSync(input)) {
      const matches = await expandGlob(input);
      if (matches.length === 0) throw new Error(`--input ${input}: the pattern matches no files`);
      for (const m of matches) await add(m, true);
      continue;
    }
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new Error(`--input ${input}: no such file or directory`);
    }
    if (info.isDirectory()) {
      const files = await walk(input);
      const before = out.length;
      for (const f of files) await add(f, true);
      if (out.length === before) throw new Error(`--input ${input}: the directory holds no .txt, .jsonl, .parquet or .gz files`);
    } else await add(input, false);
  }
  return out;
}
