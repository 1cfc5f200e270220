// The options of prepareDataset, their defaults and checks. Not the pipeline (prepare-dataset.ts).

import type { Logger } from '@hyperclone/core';
import type { TokenDtype } from '../dataset/token-dtype.js';
import type { PrepareProgress } from './progress.js';
import type { DocSplit } from '../corpus/text-documents.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface PrepareOptions {
  /** Files, directories (walked recursively) or globs of .txt, .jsonl, .parquet (and .gz). */
  inputs: string[];
  /** `byte`, `gpt2`, `bpe:N`, `hf:DIR`, a tokenizer.json path, or a Tokenizer. */
  tokenizer: string | Tokenizer;
  /** Dataset directory to create (replaced atomically if it exists). */
  out: string;
  /** Files for the validation split; otherwise `valFraction` of the documents. */
  valInputs?: string[];
  /** Fraction of documents for validation (default 0.1; 0 for none). */
  valFraction?: number;
  /** Files named like valid.txt / *_val.jsonl inside input directories become validation (default true). */
  autoVal?: boolean;
  /** How .txt files are cut into documents (default auto: the whole file, cut at lines holding only <|endoftext|>). */
  split?: DocSplit;
  /** JSONL field / parquet column with the text (default "text"). */
  textField?: string;
  /** Skip bad records and files (counted in meta.json) instead of stopping. */
  skipBad?: boolean;
  seed?: number;
  /** Token id type in the Arrow files (default: uint16 when the vocabulary fits, else uint32). */
  dtype?: 'auto' | TokenDtype;
  /** Tokens per Arrow record batch (default 1 Mi). */
  batchTokens?: number;
  /** Tokenizer worker threads (default: all cores, none for inputs under 4 MiB). */
  workers?: number;
  /** Text used to train bpe:N, at most (default 64 MiB; the rest is only tokenized). */
  bpeTrainBytes?: number;
  onProgress?: (p: PrepareProgress) => void;
  logger?: Logger;
  /** Abort (e.g. on Ctrl-C): the run stops and leaves nothing behind. */
  signal?: AbortSignal;
}

export interface ResolvedPrepareOptions extends Required<
  Omit<PrepareOptions, 'valInputs' | 'onProgress' | 'logger' | 'signal' | 'workers' | 'valFraction'>
> {
  valInputs: string[];
  valFraction: number | null;
  workers: number | null;
  onProgress: PrepareOptions['onProgress'];
  logger: PrepareOptions['logger'];
  signal: PrepareOptions['signal'];
}

export const DEFAULT_VAL_FRACTION = 0.1;

export function resolvePrepareOptions(o: PrepareOptions): ResolvedPrepareOptions {
  if (!Array.isArray(o.inputs) || o.inputs.length === 0) throw new Error('prepare: no inputs; pass at least one file, directory or glob');
  if (!o.out) throw new Error('prepare: no output directory; pass out');
  if (o.valFraction !== undefined && !(o.valFraction >= 0 && o.valFraction < 1))
    throw new Error(`prepare: valFraction must be in [0, 1) (got ${o.valFraction})`);
  if (o.valFraction !== undefined && o.valFraction > 0 && o.valInputs?.length)
    throw new Error('prepare: pass either valInputs or valFraction, not both');
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 0))
    throw new Error(`prepare: workers must be an integer >= 0 (got ${o.workers})`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error(`prepare: seed must be an integer (got ${o.seed})`);
  if (o.split?.kind === 'separator' && !o.split.separator) throw new Error('prepare: the document separator is empty');
  return {
    inputs: o.inputs,
    tokenizer: o.tokenizer,
    out: o.out,
    valInputs: o.valInputs ?? [],
    valFraction: o.valFraction ?? null,
    autoVal: o.autoVal ?? true,
    split: o.split ?? { kind: 'auto' },
    textField: o.textField ?? 'text',
    skipBad: o.skipBad ?? false,
    seed: o.seed ?? 1337,
    dtype: o.dtype ?? 'auto',
    batchTokens: o.batchTokens ?? 1 << 20,
    workers: o.workers ?? null,
    bpeTrainBytes: o.bpeTrainBytes ?? 64 * 2 ** 20,
    onProgress: o.onProgress,
    logger: o.logger,
    signal: o.signal,
  };
}
