// `hyperclone prepare`: corpus files -> token dataset directory, with a progress line on a terminal
// and a one-line summary otherwise. Not the pipeline itself (@hyperclone/data prepareDataset).

import type { Logger } from '@hyperclone/core';
import { prepareDataset, type DocSplit, type PrepareProgress, type PrepareResult, type TokenDtype } from '@hyperclone/data';
import { CliError, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { formatDuration } from '../progress.js';

const usage =
  'hyperclone prepare --input <file|dir|glob|builtin:stories>... --tokenizer <byte|gpt2|bpe:N|hf:DIR> --out DIR ' +
  '[--val-fraction F] [--val-input <file>...] [--no-auto-val] [--split auto|file|lines|blank-lines] [--doc-separator STR] ' +
  '[--text-field NAME] [--skip-bad] [--seed S] [--dtype auto|uint16|uint32] [--workers N] [--batch-tokens N] [--bpe-train-mb M]';

const flags = {
  input: { type: 'string', multiple: true },
  tokenizer: { type: 'string' },
  out: { type: 'string' },
  'val-fraction': { type: 'string' },
  'val-input': { type: 'string', multiple: true },
  'no-auto-val': { type: 'boolean' },
  split: { type: 'string' },
  'doc-separator': { type: 'string' },
  'text-field': { type: 'string' },
  'skip-bad': { type: 'boolean' },
  seed: { type: 'string' },
  dtype: { type: 'string' },
  workers: { type: 'string' },
  'batch-tokens': { type: 'string' },
  'bpe-train-mb': { type: 'string' },
} as const;

function docSplit(split: string | undefined, separator: string | undefined): DocSplit | undefined {
  if (separator !== undefined) {
    if (split !== undefined) throw new CliError('give --split or --doc-separator, not both', 2);
    if (separator === '') throw new CliError('--doc-separator is empty', 2);
    return { kind: 'separator', separator: separator.replaceAll('\\n', '\n') };
  }
  if (split === undefined) return undefined;
  if (split === 'auto' || split === 'file' || split === 'lines' || split === 'blank-lines') return { kind: split };
  throw new CliError(`--split must be auto, file, lines or blank-lines (got "${split}")`, 2);
}

function formatProgress(p: PrepareProgress): string {
  const pct = p.bytesTotal > 0 ? `${Math.min(100, (100 * p.bytesDone) / p.bytesTotal).toFixed(1)}%` : '';
  const parts = [`${p.phase} ${pct}`, `${(p.bytesPerSec / 2 ** 20).toFixed(1)} MiB/s`];
  if (p.phase !== 'train-tokenizer')
    parts.push(`${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s`, `${p.tokens.toLocaleString('en-US')} tokens`);
  if (p.etaSec !== null) parts.push(`ETA ${formatDuration(p.etaSec)}`);
  return parts.join(' | ');
}

function summary(r: PrepareResult): string {
  const m = r.meta;
  const docs = m.documents.train + m.documents.val;
  const skipped =
    m.skipped.documents + m.skipped.files > 0
      ? `; skipped ${m.skipped.documents} records and ${m.skipped.files} files (${Object.entries(m.skipped.reasons)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')})`
      : '';
  return (
    `wrote ${r.out}: ${m.tokens.train.toLocaleString('en-US')} train + ${m.tokens.val.toLocaleString('en-US')} val tokens, ${docs.toLocaleString('en-US')} document${docs === 1 ? '' : 's'} ` +
    `(val by ${m.split.method}), tokenizer ${m.tokenizer} (vocab ${m.vocabSize}, ${m.dtype}); ` +
    `${(r.wallMs / 1000).toFixed(1)} s, ${Math.round(r.tokensPerSec).toLocaleString('en-US')} tokens/s${skipped}\n`
  );
}

/** Progress on a terminal: one rewritten line on stderr; notes (warnings, choices) on their own lines. */
function display(tty: boolean): { onProgress: (p: PrepareProgress) => void; note: (s: string) => void; end: () => void } {
  let open = false;
  const clear = (): void => {
    if (open) process.stderr.write('\r\x1b[2K');
    open = false;
  };
  return {
    onProgress: (p) => {
      if (!tty || p.phase === 'done') return;
      process.stderr.write(`\r\x1b[2K${formatProgress(p)}`);
      open = true;
    },
    note: (s) => {
      clear();
      process.stderr.write(`${s}\n`);
    },
    end: clear,
  };
}

export const prepareCommand: Command = {
  name: 'prepare',
  summary: 'tokenize text corpora into a token dataset directory (Arrow), training bpe:N if asked',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const inputs = requireFlag(f.input, 'input', usage);
    const tokenizer = requireFlag(f.tokenizer, 'tokenizer', usage);
    const out = requireFlag(f.out, 'out', usage);
    const dtype = f.dtype ?? 'auto';
    if (!['auto', 'uint16', 'uint32'].includes(dtype)) throw new CliError(`--dtype must be auto, uint16 or uint32 (got "${dtype}")`, 2);
    const valFraction = numberFlag(f['val-fraction'], 'val-fraction', { min: 0 });
    const bpeTrainMb = numberFlag(f['bpe-train-mb'], 'bpe-train-mb', { min: 1 });
    const split = docSplit(f.split, f['doc-separator']);
    const seed = numberFlag(f.seed, 'seed', { integer: true, min: 0 });
    const workers = numberFlag(f.workers, 'workers', { integer: true, min: 0 });
    const batchTokens = numberFlag(f['batch-tokens'], 'batch-tokens', { integer: true, min: 1 });
    const shown = display(process.stderr.isTTY === true);
    const logger: Logger = {
      debug: () => undefined,
      info: (_o, msg) => msg && msg !== 'dataset written' && shown.note(msg),
      warn: (_o, msg) => shown.note(`warning: ${msg}`),
      error: (_o, msg) => shown.note(`error: ${msg}`),
    };
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    let result: PrepareResult;
    try {
      result = await prepareDataset({
        inputs,
        tokenizer,
        out,
        logger,
        signal: controller.signal,
        onProgress: shown.onProgress,
        valInputs: f['val-input'] ?? [],
        autoVal: !f['no-auto-val'],
        textField: f['text-field'] ?? 'text',
        skipBad: f['skip-bad'] ?? false,
        dtype: dtype as 'auto' | TokenDtype,
        ...(valFraction !== undefined ? { valFraction } : {}),
        ...(split ? { split } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(batchTokens !== undefined ? { batchTokens } : {}),
        ...(bpeTrainMb !== undefined ? { bpeTrainBytes: Math.round(bpeTrainMb * 2 ** 20) } : {}),
      });
    } catch (e) {
      throw new CliError((e as Error).message.replace(/\s*\n\s*/g, ' '), controller.signal.aborted ? 130 : 1);
    } finally {
      shown.end();
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
    process.stdout.write(summary(result));
    return 0;
  },
};
