// JSONL corpora: one JSON object per line, the document in a text field (default "text").
// Not a general JSON reader: a file holding one big JSON array is rejected with a hint.

import { DataError } from './data-error.js';
import { RECORD_PIECE_CHARS, type DocPiece } from './text-documents.js';
import { safeCut } from './safe-cut.js';

export interface JsonlOptions {
  textField: string;
  /** Called for a bad record; throws to stop (strict) or returns to skip the record (--skip-bad). */
  onBad: (error: DataError) => void;
}

function textOf(line: string, lineNo: number, file: string, field: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new DataError(file, 'invalid JSON', `${(e as Error).message}; fix the line or pass --skip-bad`, lineNo);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataError(file, 'not a JSON object', 'each line must be an object like {"text": "..."}', lineNo);
  }
  const obj = value as Record<string, unknown>;
  if (!(field in obj)) {
    const fields = Object.keys(obj).slice(0, 8).join(', ');
    throw new DataError(
      file,
      'missing text field',
      `no "${field}" field (fields: ${fields || 'none'}); choose one with --text-field`,
      lineNo,
    );
  }
  const text = obj[field];
  if (text === null) throw new DataError(file, 'null text', `"${field}" is null`, lineNo);
  if (typeof text !== 'string') throw new DataError(file, 'text field not a string', `"${field}" is ${typeof text}`, lineNo);
  return text;
}

function* pieces(text: string, line: number): Generator<DocPiece> {
  let rest = text;
  for (let cut = safeCut(rest, RECORD_PIECE_CHARS); cut > 0; cut = safeCut(rest, RECORD_PIECE_CHARS)) {
    yield { text: rest.slice(0, cut), end: false, line };
    rest = rest.slice(cut);
  }
  yield { text: rest, end: true, line };
}

export async function* jsonlDocuments(chunks: AsyncIterable<string>, file: string, options: JsonlOptions): AsyncGenerator<DocPiece> {
  let buffer = '';
  let lineNo = 0;
  const handle = function* (line: string): Generator<DocPiece> {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed.length === 0) return;
    let text: string | null = null;
    try {
      text = textOf(trimmed, lineNo, file, options.textField);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      options.onBad(e);
    }
    if (text) yield* pieces(text, lineNo);
  };
  for await (const chunk of chunks) {
    buffer += chunk;
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
      yield* handle(buffer.slice(start, nl));
      start = nl + 1;
    }
    buffer = buffer.slice(start);
  }
  if (buffer.length > 0) yield* handle(buffer);
}
