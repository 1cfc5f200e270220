// The fallback validation split for corpora with too few documents (one big file): the last
// fraction of the training tokens becomes val.arrow. Not the usual split by document (val-selector.ts).

import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArrowTokenFile } from '../dataset/arrow-token-file.js';
import { ArrowTokenWriter, type ArrowTokenWriterOptions, type ArrowWriteResult } from '../dataset/arrow-token-writer.js';
import { dtypeBytes } from '../dataset/token-dtype.js';

const COPY_TOKENS = 1 << 20;

async function copyRange(
  from: ArrowTokenFile,
  start: number,
  end: number,
  to: ArrowTokenWriter,
  onBytes: (n: number) => void,
): Promise<void> {
  const bytesPerToken = dtypeBytes(from.dtype);
  for (let pos = start; pos < end; pos += COPY_TOKENS) {
    const n = Math.min(COPY_TOKENS, end - pos);
    await to.append(from.read(pos, n));
    onBytes(n * bytesPerToken);
  }
}

/** Rewrites dir/train.arrow as its first (1 - fraction) tokens and dir/val.arrow as the rest. */
export async function valFromTail(
  dir: string,
  fraction: number,
  options: ArrowTokenWriterOptions,
  onBytes: (n: number) => void,
): Promise<{ train: ArrowWriteResult; val: ArrowWriteResult }> {
  const source = ArrowTokenFile.open(join(dir, 'train.arrow'), 'train');
  const cut = source.length - Math.max(1, Math.round(source.length * fraction));
  const train = await ArrowTokenWriter.create(join(dir, 'train.split.arrow'), options);
  const val = await ArrowTokenWriter.create(join(dir, 'val.arrow'), options);
  try {
    await copyRange(source, 0, cut, train, onBytes);
    await copyRange(source, cut, source.length, val, onBytes);
  } finally {
    source.close();
  }
  const results = { train: await train.close(), val: await val.close() };
  await rm(join(dir, 'train.arrow'));
  await rename(join(dir, 'train.split.arrow'), join(dir, 'train.arrow'));
  return results;
}
