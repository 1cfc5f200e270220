// A fast byte-level BPE encoder/decoder for GPT-2-style tokenizer.json files (the ones bpe:N
// writes, and any Hugging Face file with a ByteLevel pre-tokenizer and no normalizer).
// Not a trainer (bpe-trainer.ts); other tokenizer.json kinds go through hf-tokenizer.ts.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseByteLevelBpe } from './bpe-json.js';
import type { BpeModelSpec } from './bpe-model.js';
import { bytesToAlias } from './byte-level.js';
import { forEachPiece } from './pretokenize.js';
import { EOT_TEXT, type Tokenizer, type TokenizerSaveInfo } from './tokenizer.js';

const CACHE_LIMIT = 1 << 17;

export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eotId: number;
  private readonly byteIds = new Int32Array(256);
  private readonly rank = new Map<number, number>(); // pair key -> merge index
  private readonly mergedId: Int32Array;
  private readonly cache = new Map<string, Int32Array>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    readonly name: string,
    private readonly model: BpeModelSpec,
    /** The tokenizer.json text this came from, saved as is; generated when absent. */
    private readonly json?: string,
  ) {
    this.vocabSize = model.tokenBytes.length;
    this.eotId = model.eotId;
    this.byteIds.fill(-1);
    model.tokenBytes.forEach((b, id) => {
      if (b?.length === 1 && this.byteIds[b[0]!] === -1) this.byteIds[b[0]!] = id;
    });
    const missing = this.byteIds.indexOf(-1);
    if (missing >= 0) throw new Error(`${name}: byte ${missing} has no token; a byte-level BPE needs all 256 bytes`);
    this.mergedId = Int32Array.from(model.merges.map((m) => m[2]));
    model.merges.forEach(([a, b], i) => {
      const key = a * this.vocabSize + b;
      if (!this.rank.has(key)) this.rank.set(key, i);
    });
  }

  /** A tokenizer from trained merges: ids 0-255 bytes, 256.. merges, then <|endoftext|>. */
  static fromMerges(name: string, merges: Array<[number, number]>): BpeTokenizer {
    const tokenBytes: Array<Uint8Array | undefined> = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    const triples: Array<[number, number, number]> = [];
    for (const [a, b] of merges) {
      const left = tokenBytes[a]!;
      const right = tokenBytes[b]!;
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      triples.push([a, b, tokenBytes.length]);
      tokenBytes.push(joined);
    }
    const eotId = tokenBytes.length;
    tokenBytes.push(undefined);
    return new BpeTokenizer(name, { tokenBytes, merges: triples, special: new Map([[eotId, EOT_TEXT]]), eotId });
  }

  /** Loads a GPT-2-style byte-level BPE tokenizer.json; null when the file is of another kind. */
  static async tryLoad(path: string, name = 'tokenizer.json'): Promise<BpeTokenizer | null> {
    const text = await readFile(path, 'utf8');
    const model = parseByteLevelBpe(JSON.parse(text) as unknown, path);
    return model ? new BpeTokenizer(name, model, text) : null;
  }

  private encodeWord(word: string): Int32Array {
    const bytes = this.encoder.encode(word);
    let s: number[] = Array.from(bytes, (b) => this.byteIds[b]!);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.rank.get(s[i]! * this.vocabSize + s[i + 1]!);
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const [a, b] = this.model.merges[best]!;
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (s[i] === a && s[i + 1] === b) {
          next.push(this.mergedId[best]!);
          i++;
        } else next.push(s[i]!);
      }
      s = next;
    }
    return Int32Array.from(s);
  }

  encode(text: string): Int32Array {
    let out = new Int32Array(Math.max(16, text.length >> 1));
    let n = 0;
    forEachPiece(text, (start, end) => {
      const word = text.slice(start, end);
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      if (n + ids.length > out.length) {
        const bigger = new Int32Array(Math.max(out.length * 2, n + ids.length));
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      for (let i = 0; i < ids.length; i++) out[n++] = ids[i]!;
    });
    return out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    let buf = new Uint8Array(256);
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const special = this.model.special.get(id);
      if (special !== undefined) {
        out += this.decoder.decode(buf.subarray(0, n)) + special;
        n = 0;
        continue;
      }
      const bytes = this.model.tokenBytes[id];
      if (!bytes) throw new Error(`${this.name}: id ${id} at position ${i} is outside the vocabulary of ${this.vocabSize}`);
      if (n + bytes.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, n + bytes.length));
        bigger.set(buf.subarray(0, n));
        buf = bigger;
      }
      buf.set(bytes, n);
      n += bytes.length;
    }
    return out + this.decoder.decode(buf.subarray(0, n));
  }

  /** The Hugging Face tokenizer.json text (ByteLevel pre-tokenizer and decoder, BPE model). */
  toJSON(): string {
    if (this.json) return this.json;
    const vocab: Record<string, number> = {};
    this.model.tokenBytes.forEach((b, id) => b && (vocab[bytesToAlias(b)] = id));
    const merges = this.model.merges.map(
      ([a, b]) => `${bytesToAlias(this.model.tokenBytes[a]!)} ${bytesToAlias(this.model.tokenBytes[b]!)}`,
    );
    const addedTokens = [...this.model.special].map(([id, content]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    const doc = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: byteLevel,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges,
      },
    };
    return `${JSON.stringify(doc, null, 1)}\n`;
  }

  async save(dir: string): Promise<TokenizerSaveInfo> {
    await writeFile(join(dir, 'tokenizer.json'), this.toJSON());
    const eos = this.model.special.get(this.eotId) ?? EOT_TEXT;
    const config = {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: 1 << 30,
      eos_token: eos,
      bos_token: eos,
      unk_token: null,
      clean_up_tokenization_spaces: false,
      add_prefix_space: false,
    };
    await writeFile(join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 1)}\n`);
    return { spec: this.name, files: ['tokenizer.json', 'tokenizer_config.json'] };
  }
}
