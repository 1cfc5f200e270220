// Trains bpe:N on the training documents of a prepare run (validation documents excluded), up to
// bpeTrainBytes of text. Not the BPE algorithm (tokenizers/bpe-trainer.ts) nor its encoder.

import { BpeTokenizer } from '../tokenizers/bpe-tokenizer.js';
import { trainBpe, WordCounter } from '../tokenizers/bpe-trainer.js';
import { fileDocuments } from '../corpus/corpus-documents.js';
import type { InputFile } from '../corpus/input-files.js';
import type { ResolvedPrepareOptions } from './prepare-options.js';
import type { ProgressMeter } from './progress.js';
import { ValSelector } from './val-selector.js';

/** Vocabulary size from a `bpe:N` spec: 256 bytes + merges + end-of-text. */
function parseBpeSpec(spec: string): number {
  const m = /^bpe:(\d+)$/.exec(spec);
  const n = m ? Number(m[1]) : NaN;
  if (!(Number.isInteger(n) && n >= 258 && n <= 1 << 20)) {
    throw new Error(`tokenizer "${spec}": use bpe:N with N the vocabulary size, between 258 and ${1 << 20} (e.g. bpe:4096)`);
  }
  return n;
}

export async function trainBpeOnCorpus(
  o: ResolvedPrepareOptions,
  spec: string,
  files: InputFile[],
  valFraction: number,
  meter: ProgressMeter,
): Promise<BpeTokenizer> {
  const vocabSize = parseBpeSpec(spec);
  const startMs = performance.now();
  meter.startPhase(
    'train-tokenizer',
    Math.min(
      o.bpeTrainBytes,
      files.reduce((s, f) => s + f.bytes, 0),
    ),
  );
  const counter = new WordCounter();
  const selector = new ValSelector(valFraction, o.seed);
  const corpus = { split: o.split, textField: o.textField, skipBad: o.skipBad, onSkip: () => undefined };
  outer: for (const file of files) {
    let isVal: boolean | null = null;
    for await (const piece of fileDocuments(file, corpus, (n) => (meter.bytesDone += n), {})) {
      if (o.signal?.aborted) throw new Error('prepare: interrupted; nothing was written');
      isVal ??= selector.next();
      if (!isVal) counter.add(piece.text);
      if (piece.end) isVal = null;
      meter.emit();
      if (counter.chars >= o.bpeTrainBytes) break outer;
    }
  }
  const countMs = performance.now() - startMs;
  const { merges } = trainBpe(counter.counts, vocabSize - 257);
  const tokenizer = BpeTokenizer.fromMerges(spec, merges);
  o.logger?.info(
    {
      spec,
      vocabSize: tokenizer.vocabSize,
      trainChars: counter.chars,
      words: counter.counts.size,
      countMs,
      mergeMs: performance.now() - startMs - countMs,
    },
    `trained ${spec} on ${(counter.chars / 2 ** 20).toFixed(1)} Mi characters in ${((performance.now() - startMs) / 1000).toFixed(1)} s`,
  );
  if (tokenizer.vocabSize < vocabSize)
    o.logger?.warn({ asked: vocabSize, got: tokenizer.vocabSize }, 'corpus too small for the vocabulary asked; fewer merges learned');
  return tokenizer;
}
