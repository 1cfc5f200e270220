// prepareDataset: corpus files -> token dataset directory (train.arrow, val.arrow, tokenizer,
// meta.json), streaming with bounded memory, tokenizing on worker threads, written atomically.
// Not the CLI (packages/cli/src/commands/prepare.ts renders progress and errors).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { lockDir, silentLogger, writeDirAtomic } from '@hyperclone/core';
import { ArrowTokenWriter, type ArrowTokenWriterOptions, type ArrowWriteResult } from '../dataset/arrow-token-writer.js';
import { dtypeMax, type TokenDtype } from '../dataset/token-dtype.js';
import { fileDocuments, type CorpusOptions } from '../corpus/corpus-documents.js';
import type { DataError } from '../corpus/data-error.js';
import { DATASET_FORMAT, DATASET_VERSION, type DatasetMeta, type SourceInfo } from '../dataset/dataset-meta.js';
import type { SplitName } from '../dataset/token-split.js';
import { expandInputs, looksLikeValidation, type InputFile } from '../corpus/input-files.js';
import { DEFAULT_VAL_FRACTION, resolvePrepareOptions, type PrepareOptions, type ResolvedPrepareOptions } from './prepare-options.js';
import { ProgressMeter } from './progress.js';
import type { SourceStats } from '../corpus/source-text.js';
import { valFromTail } from './val-from-tail.js';
import { TokenPipeline } from './token-pipeline.js';
import { inlinePool, workerPool, type TokenizePool } from './tokenize-pool.js';
import { resolveTokenizer } from './resolve-tokenizer.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { ValSelector } from './val-selector.js';

export interface PrepareResult {
  out: string;
  meta: DatasetMeta;
  wallMs: number;
  tokensPerSec: number;
  bytesPerSec: number;
}

interface InputPlan {
  train: InputFile[];
  val: InputFile[];
  valFraction: number;
}

/** builtin:brown without --val-input or --val-fraction: its fixed division (every tenth sample is validation). */
async function brownDivision(o: ResolvedPrepareOptions, train: InputFile[]): Promise<{ train: InputFile[]; val: InputFile[] }> {
  if (o.valInputs.length > 0 || o.valFraction !== null || !train.some((f) => f.path === 'builtin:brown')) return { train, val: [] };
  const [brownTrain, brownVal] = await expandInputs(['builtin:brown:train', 'builtin:brown:val']);
  o.logger?.info(
    { val: brownVal!.path },
    'validation split: builtin:brown:val (the fixed Brown division; --val-fraction to sample instead)',
  );
  return { train: train.map((f) => (f.path === 'builtin:brown' ? brownTrain! : f)), val: [brownVal!] };
}

async function planInputs(o: ResolvedPrepareOptions): Promise<InputPlan> {
  let { train, val } = await brownDivision(o, await expandInputs(o.inputs));
  if (o.valInputs.length > 0) val = await expandInputs(o.valInputs);
  if (val.length === 0 && o.valFraction === null && o.autoVal) {
    const auto = train.filter((f) => f.fromDir && looksLikeValidation(f.path));
    if (auto.length > 0 && auto.length < train.length) {
      val = auto;
      o.logger?.info(
        { files: auto.map((f) => f.path) },
        `validation split: ${auto.map((f) => f.path).join(', ')} (named like validation data; --no-auto-val to turn off)`,
      );
    }
  }
  const valPaths = new Set(val.map((f) => f.path));
  train = train.filter((f) => !valPaths.has(f.path));
  if (train.length === 0) throw new Error('prepare: every input is a validation input; pass training files with --input');
  return { train, val, valFraction: val.length > 0 ? 0 : (o.valFraction ?? DEFAULT_VAL_FRACTION) };
}

function chooseDtype(o: ResolvedPrepareOptions, tokenizer: Tokenizer): TokenDtype {
  const dtype = o.dtype === 'auto' ? (tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32') : o.dtype;
  if (tokenizer.vocabSize > dtypeMax(dtype) + 1) {
    throw new Error(
      `prepare: tokenizer ${tokenizer.name} has ${tokenizer.vocabSize} ids, which do not fit ${dtype}; use --dtype uint32 (or auto)`,
    );
  }
  return dtype;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('prepare: interrupted; nothing was written');
}

interface Skips {
  documents: number;
  files: number;
  reasons: Record<string, number>;
}

/** Streams every file's documents through the pipeline; returns what was read from each. */
async function ingest(
  o: ResolvedPrepareOptions,
  plan: InputPlan,
  pipeline: TokenPipeline,
  meter: ProgressMeter,
  skips: Skips,
): Promise<SourceInfo[]> {
  const corpus: CorpusOptions = {
    split: o.split,
    textField: o.textField,
    skipBad: o.skipBad,
    onSkip: (e: DataError) => {
      if (e.wholeFile) skips.files++;
      else skips.documents++;
      skips.reasons[e.reason] = (skips.reasons[e.reason] ?? 0) + 1;
      o.logger?.warn({ file: e.file, line: e.line, reason: e.reason }, e.message);
    },
  };
  const selector = new ValSelector(plan.valFraction, o.seed);
  const sources: SourceInfo[] = [];
  const files: Array<[InputFile, SplitName | null]> = [
    ...plan.train.map((f): [InputFile, null] => [f, null]),
    ...plan.val.map((f): [InputFile, SplitName] => [f, 'val']),
  ];
  for (const [file, fixed] of files) {
    const stats: Partial<SourceStats> = {};
    let split: SplitName | null = null;
    for await (const piece of fileDocuments(file, corpus, (n) => (meter.bytesDone += n), stats)) {
      checkAborted(o.signal);
      split ??= fixed ?? (selector.next() ? 'val' : 'train');
      await pipeline.add(piece.text, split, piece.end);
      if (piece.end) split = null;
      meter.emit();
    }
    if (stats.sha256) sources.push({ path: file.path, bytes: stats.bytes!, sha256: stats.sha256, split: fixed ?? 'train' });
  }
  await pipeline.flush();
  return sources;
}

/** What a worker thread loads: the same kind of tokenizer as this thread (transformers.js for hf:). */
function workerSource(saved: { spec: string; files: string[] }, dir: string): string {
  if (saved.spec.startsWith('hf:')) return `hf:${dir}`;
  return saved.files[0] ? join(dir, saved.files[0]) : saved.spec;
}

async function startPool(o: ResolvedPrepareOptions, tokenizer: Tokenizer, source: string, totalBytes: number): Promise<TokenizePool> {
  const workers = o.workers ?? (totalBytes < 4 * 2 ** 20 ? 0 : Math.min(availableParallelism(), 8));
  return workers > 0 ? workerPool(source, workers) : inlinePool(tokenizer);
}

/** Replacing a dataset is fine; replacing some other directory (a typo like out: '~') is not. */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  const ok = statSync(out).isDirectory() && (existsSync(join(out, 'meta.json')) || readdirSync(out).length === 0);
  if (!ok) throw new Error(`prepare: ${out} exists and is not a dataset directory; choose a new path or remove it first`);
}

interface Tokenized {
  results: { train: ArrowWriteResult; val: ArrowWriteResult };
  documents: { train: number; val: number };
  sources: SourceInfo[];
  skips: Skips;
}

/** Streams the corpus through the tokenizer pool into train.arrow and val.arrow in `tmp`. */
async function tokenizeInto(
  tmp: string,
  o: ResolvedPrepareOptions,
  plan: InputPlan,
  tokenizer: Tokenizer,
  source: string,
  writerOptions: ArrowTokenWriterOptions,
  meter: ProgressMeter,
): Promise<Tokenized> {
  const writers = {
    train: await ArrowTokenWriter.create(join(tmp, 'train.arrow'), writerOptions),
    val: await ArrowTokenWriter.create(join(tmp, 'val.arrow'), writerOptions),
  };
  const pool = await startPool(o, tokenizer, source, meter.snapshot().bytesTotal);
  const pipeline = new TokenPipeline(pool, writers, tokenizer.eotId, (n, docs) => {
    meter.tokens += n;
    meter.documents += docs;
  });
  const skips: Skips = { documents: 0, files: 0, reasons: {} };
  let sources: SourceInfo[];
  try {
    sources = await ingest(o, plan, pipeline, meter, skips);
  } catch (e) {
    await pipeline.abandon();
    await Promise.all([writers.train.abort(), writers.val.abort()]);
    throw e;
  } finally {
    await pool.close();
  }
  const results = { train: await writers.train.close(), val: await writers.val.close() };
  if (results.train.tokens === 0) {
    const skipped = skips.files + skips.documents > 0 ? ` (${skips.files} files and ${skips.documents} records skipped as bad)` : '';
    throw new Error(
      `prepare: empty corpus: ${plan.train.length} input file(s) hold no text${skipped}; check --input${!['file', 'auto'].includes(o.split.kind) ? ' and the document split' : ''}`,
    );
  }
  return { results, documents: { ...pipeline.documents }, sources, skips };
}

/** Fills the dataset directory `tmp` (renamed into place by the caller); returns its meta.json. */
async function writeDataset(tmp: string, o: ResolvedPrepareOptions, plan: InputPlan, meter: ProgressMeter): Promise<DatasetMeta> {
  const { tokenizer, saved } = await resolveTokenizer(o, plan.train, plan.valFraction, tmp, meter);
  const dtype = chooseDtype(o, tokenizer);
  meter.startPhase('tokenize', totalBytesOf(plan));
  const writerOptions = { dtype, vocabSize: tokenizer.vocabSize, batchTokens: o.batchTokens };
  const run = await tokenizeInto(tmp, o, plan, tokenizer, workerSource(saved, tmp), writerOptions, meter);
  let method: DatasetMeta['split']['method'] = plan.val.length > 0 ? 'val-inputs' : plan.valFraction > 0 ? 'documents' : 'none';
  if (method === 'documents' && run.results.val.tokens === 0) {
    meter.startPhase('split', run.results.train.bytes);
    o.logger?.warn(
      { documents: run.documents.train, valFraction: plan.valFraction },
      'too few documents to split by document; validation is the last tokens instead',
    );
    run.results = await valFromTail(tmp, plan.valFraction, writerOptions, (n) => (meter.bytesDone += n));
    method = 'tail';
  }
  const { results } = run;
  const meta: DatasetMeta = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    tokenizer: saved.spec,
    tokenizerFile: saved.files[0] ?? null,
    vocabSize: tokenizer.vocabSize,
    eotId: tokenizer.eotId,
    dtype,
    batchTokens: o.batchTokens,
    tokens: { train: results.train.tokens, val: results.val.tokens },
    documents: run.documents,
    split: { method, valFraction: plan.val.length > 0 ? null : plan.valFraction, seed: o.seed },
    files: {
      'train.arrow': { bytes: results.train.bytes, sha256: results.train.sha256 },
      'val.arrow': { bytes: results.val.bytes, sha256: results.val.sha256 },
      ...(await saved.hashes()),
    },
    sources: run.sources,
    skipped: run.skips,
    created: new Date().toISOString(),
  };
  checkAborted(o.signal);
  await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

function totalBytesOf(plan: InputPlan): number {
  return [...plan.train, ...plan.val].reduce((s, f) => s + f.bytes, 0);
}

/** Writes the dataset directory `out`, holding its lock (one writer per output) for the whole call. */
export async function prepareDataset(options: PrepareOptions): Promise<PrepareResult> {
  const o = resolvePrepareOptions(options);
  const lock = lockDir(o.out, { command: 'prepare', onTakeover: (message) => o.logger?.warn({ event: 'lock' }, message) });
  try {
    return await prepareLocked(o);
  } finally {
    lock.release();
  }
}

async function prepareLocked(o: ResolvedPrepareOptions): Promise<PrepareResult> {
  checkOut(o.out);
  const startMs = performance.now();
  const plan = await planInputs(o);
  const totalBytes = totalBytesOf(plan);
  const meter = new ProgressMeter('tokenize', totalBytes, o.onProgress);
  let meta: DatasetMeta | undefined;
  await writeDirAtomic(o.out, async (tmp) => {
    meta = await writeDataset(tmp, o, plan, meter);
  });
  const m = meta!;
  const wallMs = performance.now() - startMs;
  const tokens = m.tokens.train + m.tokens.val;
  meter.finish({ bytes: totalBytes, tokens, documents: m.documents.train + m.documents.val, elapsedMs: wallMs });
  (o.logger ?? silentLogger).info({ out: o.out, tokens: m.tokens, documents: m.documents, wallMs }, 'dataset written');
  return { out: o.out, meta: m, wallMs, tokensPerSec: tokens / (wallMs / 1000), bytesPerSec: totalBytes / (wallMs / 1000) };
}
