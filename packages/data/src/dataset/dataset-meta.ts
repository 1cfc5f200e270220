// meta.json of a token dataset directory: its type, and the checks a reader runs on it.
// Not the writer (prepare/prepare-dataset.ts fills it) and not the token files themselves.

import type { TokenizerIdentity } from '@hyperclone/core';
import { DTYPES, type TokenDtype } from './token-dtype.js';
import type { SplitName } from './token-split.js';

export const DATASET_FORMAT = 'hyperclone-tokens';
export const DATASET_VERSION = 1;

export interface SourceInfo {
  path: string;
  bytes: number;
  sha256: string;
  split: SplitName;
}

export interface FileInfo {
  bytes: number;
  sha256: string;
}

export interface DatasetMeta {
  format: typeof DATASET_FORMAT;
  version: number;
  /** Tokenizer spec: `byte`, `gpt2`, `bpe:4096`, `hf:...`. */
  tokenizer: string;
  /** File in the directory holding the tokenizer (`tokenizer.json`), or null when the name suffices. */
  tokenizerFile: string | null;
  vocabSize: number;
  eotId: number;
  dtype: TokenDtype;
  batchTokens: number;
  tokens: { train: number; val: number };
  documents: { train: number; val: number };
  /** How the validation split was chosen. */
  split: { method: 'documents' | 'val-inputs' | 'tail' | 'none'; valFraction: number | null; seed: number };
  /** Hashes of what this directory holds, for reproducibility checks. */
  files: Record<string, FileInfo>;
  sources: SourceInfo[];
  skipped: { documents: number; files: number; reasons: Record<string, number> };
  created: string;
}

/** The identity of the tokenizer a dataset was made with: its spec and the sha256 of its file (null when it has none). */
export function datasetTokenizer(meta: DatasetMeta): TokenizerIdentity {
  const file = meta.tokenizerFile === null ? undefined : meta.files[meta.tokenizerFile];
  return { name: meta.tokenizer, sha256: file?.sha256 ?? null };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Checks a parsed meta.json; throws naming the field and what to do. */
export function checkMeta(raw: unknown, where: string): DatasetMeta {
  const rebuild = 're-run hyperclone prepare to rebuild it';
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: meta.json is not a JSON object; ${rebuild}`);
  const m = raw as Partial<DatasetMeta>;
  if (m.format !== DATASET_FORMAT)
    throw new Error(`${where}: meta.json format is "${String(m.format)}", expected "${DATASET_FORMAT}"; ${rebuild}`);
  if (typeof m.version !== 'number' || m.version < DATASET_VERSION) {
    throw new Error(
      `${where}: dataset format version ${String(m.version)} is older than the supported version ${DATASET_VERSION}; ${rebuild}`,
    );
  }
  if (m.version > DATASET_VERSION)
    throw new Error(`${where}: dataset format version ${m.version} is newer than this hyperclone (${DATASET_VERSION}); upgrade hyperclone`);
  if (!isCount(m.vocabSize) || m.vocabSize < 1)
    throw new Error(`${where}: meta.json vocabSize must be a positive integer (got ${String(m.vocabSize)}); ${rebuild}`);
  if (!isCount(m.eotId) || m.eotId >= m.vocabSize)
    throw new Error(`${where}: meta.json eotId ${String(m.eotId)} is not below vocabSize ${m.vocabSize}; ${rebuild}`);
  if (!m.dtype || !DTYPES.includes(m.dtype))
    throw new Error(`${where}: meta.json dtype "${String(m.dtype)}" is not one of ${DTYPES.join(', ')}; ${rebuild}`);
  if (m.dtype === 'uint16' && m.vocabSize > 65536)
    throw new Error(`${where}: vocabSize ${m.vocabSize} does not fit dtype uint16; ${rebuild} with a uint32 dtype`);
  if (!m.tokens || !isCount(m.tokens.train) || !isCount(m.tokens.val))
    throw new Error(`${where}: meta.json tokens must be {train, val} counts; ${rebuild}`);
  if (typeof m.tokenizer !== 'string') throw new Error(`${where}: meta.json has no tokenizer; ${rebuild}`);
  return m as DatasetMeta;
}
