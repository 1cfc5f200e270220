// The race's data: a prepared byte-level dataset (hyperclone's side) and the same token ids as nanoGPT's
// uint16 train.bin / val.bin (the reference's side). Not the tokenizer: bytes, so characters of an ASCII text.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset, prepareDataset } from '@hyperclone/data';

export interface RaceData {
  /** The prepared dataset `hyperclone train --data` reads. */
  dataset: string;
  vocabSize: number;
  /** nanoGPT's files of the same splits. */
  trainBin: string;
  valBin: string;
  trainTokens: number;
  valTokens: number;
  /** Where the text came from. */
  source: string;
}

/**
 * Opens `dataset` (a prepared byte-level dataset), or prepares `corpus` (a text file or a builtin:… name;
 * builtin:shakespeare when neither is given) byte by byte into a temp folder.
 */
export async function raceData(o: { corpus?: string | undefined; dataset?: string | undefined }): Promise<RaceData> {
  if (o.corpus && o.dataset) throw new Error('give --corpus or --data, not both');
  const input = o.dataset ? undefined : corpusPath(o.corpus ?? 'builtin:shakespeare');
  const work = mkdtempSync(join(tmpdir(), 'hc-nanogpt-'));
  let dataset = o.dataset && resolve(o.dataset);
  if (!dataset) {
    dataset = join(work, 'data');
    await prepareDataset({ inputs: [input!], tokenizer: 'byte', out: dataset });
  }
  const d = await openDataset(dataset);
  try {
    const bins = (['train', 'val'] as const).map((name) => {
      const split = d.split(name);
      const file = join(work, `${name}.bin`);
      writeFileSync(file, Uint16Array.from(split.read(0, split.length)));
      return { file, tokens: split.length };
    });
    return {
      dataset,
      vocabSize: d.meta.vocabSize,
      trainBin: bins[0]!.file,
      valBin: bins[1]!.file,
      trainTokens: bins[0]!.tokens,
      valTokens: bins[1]!.tokens,
      source: o.dataset ? `dataset ${o.dataset}` : input!,
    };
  } finally {
    d.close();
  }
}

/** A builtin:… name as it is, a file as its absolute path (refused when missing). */
function corpusPath(corpus: string): string {
  if (corpus.startsWith('builtin:')) return corpus;
  if (!existsSync(corpus)) throw new Error(`--corpus ${corpus} does not exist: give a text file or a builtin: name (builtin:shakespeare)`);
  return resolve(corpus);
}
