// Hugging Face tokenizers (any tokenizer.json) through @xenova/transformers, from a local directory
// only: remote downloads are switched off. Not the fast path for GPT-2-style BPE (bpe-tokenizer.ts).

import { existsSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EOT_TEXT, type Tokenizer, type TokenizerSaveInfo } from './tokenizer.js';

interface XenovaTokenizer {
  encode(text: string, pair?: null, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
  model: { vocab: unknown[] | Map<string, number>; tokens_to_ids?: Map<string, number> };
  added_tokens?: Array<{ id: number; content: string }>;
  eos_token?: string | null;
  eos_token_id?: number;
}

const EOT_CANDIDATES = [EOT_TEXT, '</s>', '<eos>', '<|end_of_text|>', '<|im_end|>'];

class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eotId: number;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly tok: XenovaTokenizer,
  ) {
    const ids = (tok.added_tokens ?? []).map((t) => t.id);
    const vocab = tok.model.vocab;
    const modelSize = Array.isArray(vocab) ? vocab.length : vocab.size;
    this.vocabSize = Math.max(modelSize, ...ids.map((i) => i + 1));
    const byName = (n: string | null | undefined): number | undefined =>
      n ? ((tok.added_tokens ?? []).find((t) => t.content === n)?.id ?? tok.model.tokens_to_ids?.get(n)) : undefined;
    const eot = [tok.eos_token, ...EOT_CANDIDATES].map(byName).find((id) => id !== undefined);
    if (eot === undefined)
      throw new Error(
        `${dir}: the tokenizer has no end-of-text token (looked for eos_token and ${EOT_CANDIDATES.join(', ')}); add one as a special token`,
      );
    this.eotId = eot;
  }

  encode(text: string): number[] {
    return this.tok.encode(text, null, { add_special_tokens: false });
  }

  decode(ids: ArrayLike<number>): string {
    return this.tok.decode(Array.from(ids), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  async save(dir: string): Promise<TokenizerSaveInfo> {
    const files = ['tokenizer.json', 'tokenizer_config.json'].filter((f) => existsSync(join(this.dir, f)));
    for (const f of files) await copyFile(join(this.dir, f), join(dir, f));
    return { spec: this.name, files };
  }
}

/** Loads the tokenizer in `path` (a directory holding tokenizer.json, or the file itself). */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  const dir = resolve(existsSync(path) && statSync(path).isFile() ? dirname(path) : path);
  if (!existsSync(join(dir, 'tokenizer.json')))
    throw new Error(`hf:${path}: no tokenizer.json in ${dir}; point hf: at a local directory holding a Hugging Face tokenizer.json`);
  const { AutoTokenizer, env } = await import('@xenova/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir);
  try {
    const tok = (await AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true })) as unknown as XenovaTokenizer;
    return new HfTokenizer(`hf:${basename(dir)}`, dir, tok);
  } catch (e) {
    throw new Error(`hf:${path}: cannot load the tokenizer (${(e as Error).message})`);
  }
}
