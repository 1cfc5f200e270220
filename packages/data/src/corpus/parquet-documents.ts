// Parquet corpora: one document per row from a text column, read one row group at a time so
// memory is bounded by the largest row group. Not a writer, and no other column is read.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError } from './data-error.js';
import type { SourceStats } from './source-text.js';
import { RECORD_PIECE_CHARS, type DocPiece } from './text-documents.js';
import { safeCut } from './safe-cut.js';

export interface ParquetOptions {
  textField: string;
  onBad: (error: DataError) => void;
}

async function hashFile(path: string): Promise<SourceStats> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function openParquet(path: string, column: string) {
  let file;
  let metadata;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new DataError(path, 'not a parquet file', (e as Error).message, undefined, true);
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!names.includes(column)) {
    throw new DataError(
      path,
      'missing text column',
      `no column "${column}" (columns: ${names.join(', ')}); choose one with --text-field`,
      undefined,
      true,
    );
  }
  return { file, metadata };
}

export async function* parquetDocuments(
  path: string,
  options: ParquetOptions,
  onBytes: (n: number) => void,
  stats: Partial<SourceStats>,
): AsyncGenerator<DocPiece> {
  const { file, metadata } = await openParquet(path, options.textField);
  const totalRows = Number(metadata.num_rows);
  let rowStart = 0;
  let reported = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, columns: [options.textField], rowStart, rowEnd, compressors });
    for (let r = 0; r < rows.length; r++) {
      const value = rows[r]![options.textField];
      const row = rowStart + r + 1;
      if (typeof value !== 'string') {
        options.onBad(
          new DataError(
            path,
            value === null || value === undefined ? 'null text' : 'text field not a string',
            `row ${row} column "${options.textField}" is ${value === null ? 'null' : typeof value}`,
            row,
          ),
        );
        continue;
      }
      if (value.length === 0) continue;
      let rest = value;
      for (let cut = safeCut(rest, RECORD_PIECE_CHARS); cut > 0; cut = safeCut(rest, RECORD_PIECE_CHARS)) {
        yield { text: rest.slice(0, cut), end: false, line: row };
        rest = rest.slice(cut);
      }
      yield { text: rest, end: true, line: row };
    }
    rowStart = rowEnd;
    const done = Math.round((file.byteLength * rowStart) / Math.max(1, totalRows));
    onBytes(done - reported);
    reported = done;
  }
  Object.assign(stats, await hashFile(path));
}
