// Streams one corpus file as UTF-8 text chunks: gunzips .gz, hashes the raw bytes, counts bytes
// for progress, and rejects binary or non-UTF-8 content. Not a document splitter.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataError } from './data-error.js';
import type { InputFile } from './input-files.js';

export interface SourceStats {
  bytes: number;
  sha256: string;
}

/** Small reads keep every string in V8's young generation: strings over ~64K characters are large
 * objects, and their allocation (page faults) slowed the splitting down. */
const CHUNK_BYTES = 1 << 15;

/** Yields decoded text; fills `stats` when the file has been read to the end. */
export async function* sourceText(file: InputFile, onBytes: (n: number) => void, stats: Partial<SourceStats>): AsyncGenerator<string> {
  const hash = createHash('sha256');
  const raw = createReadStream(file.path, { highWaterMark: CHUNK_BYTES });
  let rawBytes = 0;
  raw.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    rawBytes += chunk.length;
    onBytes(chunk.length);
  });
  const stream = file.gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  if (file.gzip) raw.on('error', (e) => stream.destroy(e));
  // A UTF-8 byte order mark at the start is an encoding mark, not text: it is dropped (ignoreBOM false),
  // so a .jsonl file with one still parses; the sha256 in meta.json is of the bytes as they are.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decodedBytes = 0;
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      const nul = bytes.indexOf(0);
      if (nul >= 0)
        throw new DataError(file.path, 'binary file', `NUL byte at byte ${decodedBytes + nul}; only UTF-8 text is read`, undefined, true);
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch {
        throw new DataError(
          file.path,
          'not UTF-8 text',
          `invalid UTF-8 near byte ${decodedBytes}; binary file or another encoding? convert it to UTF-8`,
          undefined,
          true,
        );
      }
      decodedBytes += bytes.length;
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err instanceof TypeError)
      throw new DataError(file.path, 'not UTF-8 text', 'the file ends inside a UTF-8 character', undefined, true);
    const reason = err.code?.startsWith('Z_') || /incorrect header|unexpected end/i.test(err.message) ? 'corrupt gzip' : 'unreadable file';
    throw new DataError(file.path, reason, err.code ?? err.message, undefined, true);
  } finally {
    raw.destroy();
  }
  stats.bytes = rawBytes;
  stats.sha256 = hash.digest('hex');
}
