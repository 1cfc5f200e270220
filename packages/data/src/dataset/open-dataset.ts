// openDataset: opens a token dataset directory (hyperclone Arrow, llm.c .bin shards or nanoGPT
// train.bin/val.bin), checks it, and hands out its splits. Not a writer (see prepare/prepare-dataset.ts).

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArrowTokenFile } from './arrow-token-file.js';
import { BinTokenSplit, LLMC_MAGIC_GPT2, LLMC_MAGIC_LLAMA3 } from './bin-token-split.js';
import { checkMeta, DATASET_FORMAT, DATASET_VERSION, type DatasetMeta } from './dataset-meta.js';
import { IdReader } from './id-reader.js';
import type { TokenDtype } from './token-dtype.js';
import type { SplitName, TokenSplit } from './token-split.js';

export type DatasetKind = 'hyperclone' | 'llm.c' | 'nanogpt';

export interface TokenDataset {
  readonly dir: string;
  readonly kind: DatasetKind;
  readonly meta: DatasetMeta;
  split(name: SplitName): TokenSplit;
  close(): void;
}

export interface OpenDatasetOptions {
  /** Recompute the sha256 of the token files and compare with meta.json (reads everything). */
  verify?: boolean;
  /** For llm.c / nanoGPT data, which carry no tokenizer: defaults to GPT-2 (50257, eot 50256). */
  vocabSize?: number;
  eotId?: number;
  tokenizer?: string;
}

class Dataset implements TokenDataset {
  constructor(
    readonly dir: string,
    readonly kind: DatasetKind,
    readonly meta: DatasetMeta,
    private readonly splits: Record<SplitName, TokenSplit>,
  ) {}

  split(name: SplitName): TokenSplit {
    const s = this.splits[name];
    if (!s) throw new Error(`unknown split "${String(name)}"; use "train" or "val"`);
    return s;
  }

  close(): void {
    this.splits.train.close();
    this.splits.val.close();
  }
}

export async function openDataset(dir: string, options: OpenDatasetOptions = {}): Promise<TokenDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`${dir}: no such dataset directory; create one with hyperclone prepare --input <files> --out ${dir}`);
  }
  if (existsSync(join(dir, 'meta.json'))) return openHyperclone(dir, options);
  const legacy = await openLegacy(dir, options);
  if (legacy) return legacy;
  throw new Error(
    `${dir}: not a token dataset (no meta.json, no llm.c .bin shards, no nanoGPT train.bin/val.bin); create one with hyperclone prepare`,
  );
}

async function openHyperclone(dir: string, options: OpenDatasetOptions): Promise<TokenDataset> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  } catch (e) {
    throw new Error(`${dir}/meta.json: unreadable (${(e as Error).message}); re-run hyperclone prepare to rebuild it`);
  }
  const meta = checkMeta(raw, dir);
  const train = ArrowTokenFile.open(join(dir, 'train.arrow'), 'train');
  let val: ArrowTokenFile;
  try {
    val = ArrowTokenFile.open(join(dir, 'val.arrow'), 'val');
  } catch (e) {
    train.close();
    throw e;
  }
  try {
    for (const f of [train, val]) {
      const expected = meta.tokens[f.name as SplitName];
      if (f.dtype !== meta.dtype)
        throw new Error(`${f.path}: token column is ${f.dtype} but meta.json says ${meta.dtype}; re-run hyperclone prepare`);
      if (f.length !== expected)
        throw new Error(
          `${f.path}: holds ${f.length} tokens but meta.json says ${expected}; the dataset is damaged, re-run hyperclone prepare`,
        );
    }
    if (options.verify) await verifyHashes(dir, meta);
  } catch (e) {
    train.close();
    val.close();
    throw e;
  }
  return new Dataset(dir, 'hyperclone', meta, { train, val });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function verifyHashes(dir: string, meta: DatasetMeta): Promise<void> {
  for (const [name, info] of Object.entries(meta.files)) {
    const actual = await sha256File(join(dir, name));
    if (actual !== info.sha256)
      throw new Error(
        `${join(dir, name)}: sha256 ${actual} differs from meta.json (${info.sha256}); the file changed, re-run hyperclone prepare`,
      );
  }
}

function firstInt32(path: string): number {
  const fd = openSync(path, 'r');
  try {
    if (statSync(path).size < 4) return -1;
    return new DataView(IdReader.bytes(fd, 0, 4, path).buffer).getInt32(0, true);
  } finally {
    closeSync(fd);
  }
}

async function openLegacy(dir: string, options: OpenDatasetOptions): Promise<TokenDataset | null> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.bin')).sort();
  const llmc = names.filter((n) => [LLMC_MAGIC_GPT2, LLMC_MAGIC_LLAMA3].includes(firstInt32(join(dir, n))));
  if (llmc.length > 0) {
    const val = llmc.filter((n) => /(^|[_\-.])val([_\-.]|$)/i.test(n));
    const train = llmc.filter((n) => !val.includes(n));
    if (train.length === 0 || val.length === 0) {
      throw new Error(
        `${dir}: llm.c shards need both train and val files (names containing "_train" and "_val"); found ${llmc.join(', ')}`,
      );
    }
    return legacyDataset(dir, 'llm.c', train, val, 'llmc', options);
  }
  if (names.includes('train.bin') && names.includes('val.bin'))
    return legacyDataset(dir, 'nanogpt', ['train.bin'], ['val.bin'], 'raw', options);
  return null;
}

function legacyDataset(
  dir: string,
  kind: DatasetKind,
  train: string[],
  val: string[],
  format: 'llmc' | 'raw',
  options: OpenDatasetOptions,
): TokenDataset {
  const trainSplit = new BinTokenSplit(
    'train',
    train.map((n) => join(dir, n)),
    format,
  );
  const valSplit = new BinTokenSplit(
    'val',
    val.map((n) => join(dir, n)),
    format,
  );
  const dtype: TokenDtype = trainSplit.dtype;
  const vocabSize = options.vocabSize ?? (dtype === 'uint32' ? 128256 : 50257);
  const eotId = options.eotId ?? (dtype === 'uint32' ? 128001 : 50256);
  if (dtype === 'uint16' && vocabSize > 65536) {
    trainSplit.close();
    valSplit.close();
    throw new Error(
      `${dir}: vocabSize ${vocabSize} does not fit the uint16 tokens of ${kind} files; pass the vocabulary the data was made with`,
    );
  }
  const meta: DatasetMeta = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    tokenizer: options.tokenizer ?? (dtype === 'uint32' ? 'llama3' : 'gpt2'),
    tokenizerFile: null,
    vocabSize,
    eotId,
    dtype,
    batchTokens: 0,
    tokens: { train: trainSplit.length, val: valSplit.length },
    documents: { train: -1, val: -1 },
    split: { method: 'val-inputs', valFraction: null, seed: 0 },
    files: {},
    sources: [...train, ...val].map((n) => ({
      path: join(dir, n),
      bytes: statSync(join(dir, n)).size,
      sha256: '',
      split: val.includes(n) ? 'val' : 'train',
    })),
    skipped: { documents: 0, files: 0, reasons: {} },
    created: '',
  };
  return new Dataset(dir, kind, meta, { train: trainSplit, val: valSplit });
}
