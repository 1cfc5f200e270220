// Splits a stream of text into documents: the whole file (auto: also cut at lines holding only
// <|endoftext|>, as in TinyStories), one per line, blank-line separated, or on a separator string;
// long documents come out in pieces.
// Not a reader of files (source-text.ts) and not a tokenizer.

import { EOT_TEXT } from '../tokenizers/tokenizer.js';
import { pieceEnd } from './safe-cut.js';

/** A part of a document; `end` marks its last piece. `line` is the document's first line (1-based). */
export interface DocPiece {
  text: string;
  end: boolean;
  line: number;
}

export type DocSplit =
  { kind: 'auto' } | { kind: 'file' } | { kind: 'lines' } | { kind: 'blank-lines' } | { kind: 'separator'; separator: string };

interface Match {
  index: number;
  end: number;
}

/**
 * A line that holds only <|endoftext|> (plus spaces and its newline), found with indexOf (no regex scan).
 * `startsLine`: buffer[0] begins a line (false after a piece was cut inside a line).
 */
function eotLine(buffer: string, from: number, startsLine: boolean): Match | null {
  for (let i = buffer.indexOf(EOT_TEXT, from); i >= 0; i = buffer.indexOf(EOT_TEXT, i + 1)) {
    if (i === 0 ? !startsLine : buffer.charCodeAt(i - 1) !== 10) continue;
    let end = i + EOT_TEXT.length;
    while (end < buffer.length && [32, 9, 13].includes(buffer.charCodeAt(end))) end++;
    if (end === buffer.length) return { index: i, end }; // at the end of the text read so far
    if (buffer.charCodeAt(end) === 10) return { index: i, end: end + 1 };
  }
  return null;
}

/** The next separator at or after `from`, as a function of the split kind. */
function finder(split: DocSplit): (buffer: string, from: number, startsLine: boolean) => Match | null {
  if (split.kind === 'auto') return eotLine;
  if (split.kind === 'separator') {
    const sep = split.separator;
    return (buffer, from) => {
      const i = buffer.indexOf(sep, from);
      return i < 0 ? null : { index: i, end: i + sep.length };
    };
  }
  const pattern = split.kind === 'lines' ? /\r?\n/g : /\n[ \t\r]*\n/g;
  return (buffer, from) => {
    pattern.lastIndex = from;
    const m = pattern.exec(buffer);
    return m ? { index: m.index, end: m.index + m[0].length } : null;
  };
}

/** Long documents go out in pieces once this many characters are buffered (cut at safe boundaries, see safe-cut.ts). */
export const PIECE_CHARS = 1 << 14;
/** Records (JSONL lines, parquet rows) longer than this go out in pieces. */
export const RECORD_PIECE_CHARS = 1 << 20;
/** A document without any safe boundary is cut hard beyond this many characters. */
export const MAX_PIECE_CHARS = 1 << 22;

/** Could `tail` (the text after the last newline, at a line start) still grow into an <|endoftext|> line? */
function mayStartEotLine(tail: string): boolean {
  const head = tail.slice(0, EOT_TEXT.length);
  return EOT_TEXT.startsWith(head) && /^[ \t\r]*$/.test(tail.slice(EOT_TEXT.length));
}

/**
 * How far into the buffer a piece may reach: not past where a separator could still begin once more
 * text arrives. A long line (or a text with no newline at all) can be cut inside it unless its start
 * might become a separator, so a document without newlines is cut as it streams, not held whole.
 */
function pieceLimit(buffer: string, split: DocSplit, startsLine: boolean, keepBack: number): number {
  if (split.kind === 'separator') return buffer.length - keepBack;
  const lastNewline = buffer.lastIndexOf('\n');
  if (split.kind === 'lines') return buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
  const tail = buffer.slice(lastNewline + 1);
  if (split.kind === 'blank-lines') return /^[ \t\r]*$/.test(tail) ? Math.max(0, lastNewline) : buffer.length;
  if (lastNewline < 0 && !startsLine) return buffer.length; // inside a line: no <|endoftext|> line can start
  return mayStartEotLine(tail) ? Math.max(0, lastNewline) : buffer.length;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The whole file is one document, cut into pieces. */
async function* wholeFile(chunks: AsyncIterable<string>): AsyncGenerator<DocPiece> {
  let buffer = '';
  let emitted = false;
  for await (const chunk of chunks) {
    buffer += chunk;
    const cut = pieceEnd(buffer, PIECE_CHARS, MAX_PIECE_CHARS);
    if (cut > 0) {
      yield { text: buffer.slice(0, cut), end: false, line: 1 };
      buffer = buffer.slice(cut);
      emitted = true;
    }
  }
  if (emitted || buffer.length > 0) yield { text: buffer, end: true, line: 1 };
}

/** Documents between separators, trimmed (except in auto mode, which keeps the text exact); empty ones dropped. */
async function* separated(chunks: AsyncIterable<string>, split: DocSplit): AsyncGenerator<DocPiece> {
  const find = finder(split);
  const keepBack = split.kind === 'separator' ? split.separator.length - 1 : 0;
  let buffer = '';
  let line = 1; // line of buffer[scanned]
  let scanned = 0;
  let docLine = 1;
  let open = false; // pieces of the current document were already emitted
  let startsLine = true; // buffer[0] begins a line
  const lineAt = (pos: number): number => {
    line += countNewlines(buffer, scanned, pos);
    scanned = pos;
    return line;
  };
  const trim = split.kind !== 'auto';
  function* finish(text: string, end: boolean): Generator<DocPiece> {
    const body = open || !trim ? text : text.trimStart();
    let out = end && trim ? body.trimEnd() : body;
    if (!open && end && out.trim().length === 0) out = ''; // a whitespace-only document is no document
    if (out.length > 0 || (end && open)) yield { text: out, end, line: docLine };
    open = end ? false : open || out.length > 0;
  }
  let searchFrom = 0; // where the separator search resumes: text before it holds no separator start
  function* drain(final: boolean): Generator<DocPiece> {
    const regionEnd = final ? buffer.length : split.kind === 'separator' ? buffer.length - keepBack : buffer.lastIndexOf('\n') + 1;
    let docStart = 0;
    let m = find(buffer, searchFrom, startsLine);
    for (; m && m.end <= regionEnd; m = find(buffer, m.end, true)) {
      yield* finish(buffer.slice(docStart, m.index), true);
      docStart = m.end;
      docLine = lineAt(docStart);
    }
    if (docStart > 0) startsLine = true; // a separator ends with a newline
    const resume = Math.max(docStart, Math.min(m ? m.index : Infinity, regionEnd - 1));
    if (!final) {
      const limit = Math.max(docStart, Math.min(m ? m.index : Infinity, pieceLimit(buffer, split, startsLine, keepBack)));
      const cut = pieceEnd(buffer.slice(docStart, limit), PIECE_CHARS, MAX_PIECE_CHARS); // never past a possible separator
      if (cut > 0) {
        yield* finish(buffer.slice(docStart, docStart + cut), false);
        docStart += cut;
        startsLine = buffer.charCodeAt(docStart - 1) === 10;
      }
    }
    lineAt(docStart);
    buffer = buffer.slice(docStart);
    scanned = 0;
    searchFrom = Math.max(0, resume - docStart);
    if (final) yield* finish(buffer, true);
  }
  for await (const chunk of chunks) {
    buffer += chunk;
    yield* drain(false);
  }
  yield* drain(true);
}

export function splitDocuments(chunks: AsyncIterable<string>, split: DocSplit): AsyncGenerator<DocPiece> {
  return split.kind === 'file' ? wholeFile(chunks) : separated(chunks, split);
}
