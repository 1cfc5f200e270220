// The race's data: a prepared byte-level dataset (hyperclone's side) and the same token ids as nanoGPT's
// uint16 train.bin / val.bin (the reference's side). Not the tokenizer: bytes, so characters of an ASCII text.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Prepares `input` (a text file or a builtin:… name) byte by byte into a temp folder, or opens `dataset`. */
export async function raceData(o: { input?: string; dataset?: string }): Promise<RaceData> {
  const work = mkdtempSync(join(tmpdir(), 'hc-nanogpt-'));
  let dataset = o.dataset;
  if (!dataset) {
    if (!o.input) throw new Error('give the corpus: --corpus FILE (e.g. Tiny Shakespeare) or --data DIR (a prepared byte dataset)');
    if (!o.input.startsWith('builtin:') && !existsSync(o.input)) throw new Error(`--corpus ${o.input} does not exist`);
    dataset = join(work, 'data');
    await prepareDataset({ inputs: [o.input], tokenizer: 'byte', out: dataset });
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
      source: o.dataset ? `dataset ${o.dataset}` : o.input!,
    };
  } finally {
    d.close();
  }
}
