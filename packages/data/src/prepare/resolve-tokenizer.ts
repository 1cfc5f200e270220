// The tokenizer a prepare run uses: loaded from its spec, or trained on the training documents
// for bpe:N, then saved into the dataset directory. Not the encoders themselves.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileInfo } from '../dataset/dataset-meta.js';
import type { InputFile } from '../corpus/input-files.js';
import { loadTokenizer } from '../tokenizers/load-tokenizer.js';
import type { ResolvedPrepareOptions } from './prepare-options.js';
import type { ProgressMeter } from './progress.js';
import type { Tokenizer, TokenizerSaveInfo } from '../tokenizers/tokenizer.js';

export interface SavedTokenizer extends TokenizerSaveInfo {
  /** sha256 of each saved file, for meta.json. */
  hashes(): Promise<Record<string, FileInfo>>;
}

export async function resolveTokenizer(
  o: ResolvedPrepareOptions,
  trainFiles: InputFile[],
  valFraction: number,
  dir: string,
  meter: ProgressMeter,
): Promise<{ tokenizer: Tokenizer; saved: SavedTokenizer }> {
  let tokenizer: Tokenizer;
  if (typeof o.tokenizer !== 'string') tokenizer = o.tokenizer;
  else if (/^bpe:/.test(o.tokenizer.trim())) {
    const { trainBpeOnCorpus } = await import('./bpe-corpus.js');
    tokenizer = await trainBpeOnCorpus(o, o.tokenizer.trim(), trainFiles, valFraction, meter);
  } else tokenizer = await loadTokenizer(o.tokenizer);
  const info = await tokenizer.save(dir);
  return {
    tokenizer,
    saved: {
      ...info,
      async hashes() {
        const out: Record<string, FileInfo> = {};
        for (const f of info.files) {
          const bytes = await readFile(join(dir, f));
          out[f] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
        }
        return out;
      },
    },
  };
}
