// Hugging Face tokenizers (any tokenizer.json) through @huggingface/tokenizers (pure JS, no
// dependencies), read from a local directory. Not the fast path for GPT-2-style BPE (bpe-tokenizer.ts).

import { existsSync, statSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Tokenizer as HfTokenizerJs } from '@huggingface/tokenizers';
import { EOT_TEXT, type Tokenizer, type TokenizerSaveInfo } from './tokenizer.js';

const EOT_CANDIDATES = [EOT_TEXT, '</s>', '<eos>', '<|end_of_text|>', '<|im_end|>'];

/** tokenizer_config.json's eos_token: a string or an AddedToken object. */
function eosName(config: Record<string, unknown>): string | null {
  const eos = config.eos_token;
  if (typeof eos === 'string') return eos;
  if (eos && typeof eos === 'object' && typeof (eos as { content?: unknown }).content === 'string')
    return (eos as { content: string }).content;
  return null;
}

class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eotId: number;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly tok: HfTokenizerJs,
    config: Record<string, unknown>,
  ) {
    this.vocabSize = Math.max(...tok.get_vocab(true).values()) + 1;
    const eot = [eosName(config), ...EOT_CANDIDATES].map((n) => (n ? tok.token_to_id(n) : undefined)).find((id) => id !== undefined);
    if (eot === undefined)
      throw new Error(
        `${dir}: the tokenizer has no end-of-text token (looked for eos_token and ${EOT_CANDIDATES.join(', ')}); add one as a special token`,
      );
    this.eotId = eot;
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
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

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** Loads the tokenizer in `path` (a directory holding tokenizer.json, or the file itself). */
export async function loadHfTokenizer(path: string): Promise<Tokenizer> {
  const dir = resolve(existsSync(path) && statSync(path).isFile() ? dirname(path) : path);
  if (!existsSync(join(dir, 'tokenizer.json')))
    throw new Error(`hf:${path}: no tokenizer.json in ${dir}; point hf: at a local directory holding a Hugging Face tokenizer.json`);
  try {
    const json = await readJson(join(dir, 'tokenizer.json'));
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? await readJson(configPath) : {};
    return new HfTokenizer(`hf:${basename(dir)}`, dir, new HfTokenizerJs(json, config), config);
  } catch (e) {
    throw new Error(`hf:${path}: cannot load the tokenizer (${(e as Error).message})`);
  }
}
