// Splits a stream of text into documents: the whole file (auto: also cut at lines holding only
// <|endoftext|>, as in TinyStories), one per line, blank-line separated, or on a separator string;
// long documents come out in pieces.
// Not a reader of files (source-text.ts) and not a tokenizer.

import { safeCut } from './safe-split.js';

/** A part of a document; `end` marks its last piece. `line` is the document's first line (1-based). */
export interface DocPiece {
  text: string;
  end: boolean;
  line: number;
}

export type DocSplit = { kind: 'auto' } | { kind: 'file' } | { kind: 'lines' } | { kind: 'blank-lines' } | { kind: 'separator'; separator: string };

/** A line that holds only the end-of-text literal (plus its newline): a document boundary in auto mode. */
const EOT_LINE = /(?<![^\n])<\|endoftext\|>[ \t\r]*(?:\n|(?![\s\S]))/g;

/** Pieces are cut near this many characters (at safe boundaries, see safe-split.ts). */
export const PIECE_CHARS = 1 << 20;


function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function patternOf(split: DocSplit): RegExp {
  if (split.kind === 'lines') return /\r?\n/g;
  if (split.kind === 'blank-lines') return /\n[ \t\r]*\n/g;
  if (split.kind === 'auto') return new RegExp(EOT_LINE.source, 'g');
  if (split.kind === 'separator') return new RegExp(split.separator.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g');
  throw new Error('unreachable');
}

/** The whole file is one document, cut into pieces. */
async function* wholeFile(chunks: AsyncIterable<string>): AsyncGenerator<DocPiece> {
  let buffer = '';
  let emitted = false;
  for await (const chunk of chunks) {
    buffer += chunk;
    for (let cut = safeCut(buffer, PIECE_CHARS); cut > 0; cut = safeCut(buffer, PIECE_CHARS)) {
      yield { text: buffer.slice(0, cut), end: false, line: 1 };
      buffer = buffer.slice(cut);
      emitted = true;
    }
  }
  if (emitted || buffer.length > 0) yield { text: buffer, end: true, line: 1 };
}

/** Documents between separators, trimmed (except in auto mode, which keeps the text exact); empty ones dropped. */
async function* separated(chunks: AsyncIterable<string>, split: DocSplit): AsyncGenerator<DocPiece> {
  const pattern = patternOf(split);
  const keepBack = split.kind === 'separator' ? split.separator.length - 1 : 0;
  let buffer = '';
  let line = 1; // line of buffer[scanned]
  let scanned = 0;
  let docLine = 1;
  let open = false; // pieces of the current document were already emitted
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
  function* drain(final: boolean): Generator<DocPiece> {
    const regionEnd = final ? buffer.length : split.kind === 'separator' ? buffer.length - keepBack : buffer.lastIndexOf('\n') + 1;
    let docStart = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(buffer); m && m.index + m[0].length <= regionEnd; m = pattern.exec(buffer)) {
      yield* finish(buffer.slice(docStart, m.index), true);
      docStart = m.index + m[0].length;
      docLine = lineAt(docStart);
    }
    if (!final) {
      const cut = safeCut(buffer.slice(docStart), 4 * PIECE_CHARS);
      if (cut > 0) {
        yield* finish(buffer.slice(docStart, docStart + cut), false);
        docStart += cut;
      }
    }
    lineAt(docStart);
    buffer = buffer.slice(docStart);
    scanned = 0;
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
