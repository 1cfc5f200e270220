// loadTokenizer: a Tokenizer from a spec (`byte`, `gpt2`, `hf:DIR`, a tokenizer.json path) or
// from a dataset directory's meta.json. Not a trainer: `bpe:N` is trained by prepareDataset.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteTokenizer } from './byte-tokenizer.js';
import { Gpt2Tokenizer } from './gpt2-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

const TOKENIZER_KINDS = 'byte, gpt2, bpe:N, hf:DIR';

async function fromDatasetDir(dir: string): Promise<Tokenizer> {
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { tokenizer?: string; tokenizerFile?: string | null };
  if (meta.tokenizer?.startsWith('hf:')) {
    const { loadHfTokenizer } = await import('./hf-tokenizer.js');
    return loadHfTokenizer(dir);
  }
  if (meta.tokenizerFile) return loadTokenizerFile(join(dir, meta.tokenizerFile), meta.tokenizer ?? meta.tokenizerFile);
  if (!meta.tokenizer) throw new Error(`${dir}/meta.json names no tokenizer; re-run hyperclone prepare`);
  return loadTokenizer(meta.tokenizer);
}

/** A tokenizer.json written by bpe:N (fast built-in encoder) or any other Hugging Face tokenizer. */
async function loadTokenizerFile(path: string, name?: string): Promise<Tokenizer> {
  const { BpeTokenizer } = await import('./bpe-tokenizer.js');
  const bpe = await BpeTokenizer.tryLoad(path, name);
  if (bpe) return bpe;
  const { loadHfTokenizer } = await import('./hf-tokenizer.js');
  return loadHfTokenizer(path);
}

export async function loadTokenizer(specOrDir: string): Promise<Tokenizer> {
  const spec = specOrDir.trim();
  if (spec === 'byte') return new ByteTokenizer();
  if (spec === 'gpt2') return new Gpt2Tokenizer();
  if (spec.startsWith('hf:')) {
    const { loadHfTokenizer } = await import('./hf-tokenizer.js');
    return loadHfTokenizer(spec.slice(3));
  }
  if (/^bpe:/.test(spec)) {
    throw new Error(
      `tokenizer "${spec}" is trained on the corpus by prepare; load the trained one with loadTokenizer(<dataset dir>) or pass its tokenizer.json`,
    );
  }
  if (existsSync(spec)) {
    if (statSync(spec).isDirectory()) {
      if (existsSync(join(spec, 'meta.json'))) return fromDatasetDir(spec);
      if (existsSync(join(spec, 'tokenizer.json'))) return loadTokenizerFile(join(spec, 'tokenizer.json'));
      throw new Error(`${spec}: a directory without meta.json or tokenizer.json; pass a dataset directory or a tokenizer directory`);
    }
    return loadTokenizerFile(spec);
  }
  throw new Error(`unknown tokenizer "${spec}"; use one of ${TOKENIZER_KINDS}, a dataset directory, or a tokenizer.json path`);
}
