// Document pieces of one corpus file, whatever its format (.txt, .jsonl, .parquet, .gz), with
// --skip-bad handling: bad records or files are counted and skipped, else they stop the run.
// Not the split into train/val and not tokenization.

import { createHash } from 'node:crypto';
import { DataError } from './data-error.js';
import { brownDocuments } from './brown-corpus.js';
import { parseBuiltin } from './builtin-inputs.js';
import { shakespeareFile } from './shakespeare-corpus.js';
import { generateStories } from './story-corpus.js';
import type { InputFile } from './input-files.js';
import { jsonlDocuments } from './jsonl-documents.js';
import { parquetDocuments } from './parquet-documents.js';
import { sourceText, type SourceStats } from './source-text.js';
import { splitDocuments, type DocPiece, type DocSplit } from './text-documents.js';

export interface CorpusOptions {
  split: DocSplit;
  textField: string;
  skipBad: boolean;
  /** Called once per skipped record or file (only with skipBad). */
  onSkip: (error: DataError) => void;
}

/** A built-in corpus: Shakespeare is its .txt file; stories and Brown samples are one document each,
 * their text hashed like a file's. Progress counts file or story bytes, or the Brown samples' tagged
 * bytes (what `InputFile.bytes` holds). */
function builtinDocuments(
  file: InputFile,
  split: DocSplit,
  onBytes: (n: number) => void,
  stats: Partial<SourceStats>,
): AsyncGenerator<DocPiece> {
  const builtin = parseBuiltin(file.path)!;
  if (builtin.name === 'shakespeare') return splitDocuments(sourceText(shakespeareFile(), onBytes, stats), split);
  const texts = builtin.name === 'stories' ? generateStories({ bytes: builtin.bytes }) : brownDocuments(builtin.part, onBytes);
  return hashedDocuments(texts, builtin.name === 'stories' ? onBytes : () => undefined, stats);
}

async function* hashedDocuments(
  texts: Iterable<string>,
  onBytes: (n: number) => void,
  stats: Partial<SourceStats>,
): AsyncGenerator<DocPiece> {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const text of texts) {
    const n = Buffer.byteLength(text);
    hash.update(text);
    bytes += n;
    onBytes(n);
    yield { text, end: true, line: 0 };
  }
  stats.bytes = bytes;
  stats.sha256 = hash.digest('hex');
}

function piecesOf(
  file: InputFile,
  options: CorpusOptions,
  onBytes: (n: number) => void,
  stats: Partial<SourceStats>,
): AsyncGenerator<DocPiece> {
  const onBad = (e: DataError): void => {
    if (!options.skipBad) throw e;
    options.onSkip(e);
  };
  if (file.format === 'builtin') return builtinDocuments(file, options.split, onBytes, stats);
  if (file.format === 'parquet') return parquetDocuments(file.path, { textField: options.textField, onBad }, onBytes, stats);
  const text = sourceText(file, onBytes, stats);
  if (file.format === 'jsonl') return jsonlDocuments(text, file.path, { textField: options.textField, onBad });
  return splitDocuments(text, options.split);
}

/** Pieces of every document in the file; with skipBad a file that turns out unusable is cut short. */
export async function* fileDocuments(
  file: InputFile,
  options: CorpusOptions,
  onBytes: (n: number) => void,
  stats: Partial<SourceStats>,
): AsyncGenerator<DocPiece> {
  let open = false;
  try {
    for await (const piece of piecesOf(file, options, onBytes, stats)) {
      open = !piece.end;
      yield piece;
    }
  } catch (e) {
    if (!(e instanceof DataError) || !options.skipBad) throw e;
    options.onSkip(e);
    if (open) yield { text: '', end: true, line: 0 };
  }
}
