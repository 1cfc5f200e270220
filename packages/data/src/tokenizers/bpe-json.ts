// Parses a Hugging Face tokenizer.json into a byte-level BPE model when it is GPT-2-like (ByteLevel
// pre-tokenizer with the GPT-2 regex, no normalizer, plain BPE). Not a general tokenizer.json reader.

import { aliasToBytes } from './byte-level.js';
import type { BpeModelSpec } from './bpe-model.js';

interface TokenizerJson {
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  normalizer?: unknown;
  pre_tokenizer?: { type?: string; add_prefix_space?: boolean; use_regex?: boolean } | null;
  decoder?: { type?: string } | null;
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    merges?: Array<string | [string, string]>;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    byte_fallback?: boolean;
  };
}

const EOT_NAMES = ['<|endoftext|>', '</s>', '<eos>', '<|end_of_text|>', '<|im_end|>'];

function isPlainByteLevel(j: TokenizerJson): boolean {
  const pre = j.pre_tokenizer;
  const m = j.model;
  return (
    !!pre &&
    pre.type === 'ByteLevel' &&
    pre.add_prefix_space !== true &&
    pre.use_regex !== false &&
    (j.normalizer === null || j.normalizer === undefined) &&
    j.decoder?.type === 'ByteLevel' &&
    m?.type === 'BPE' &&
    !m.continuing_subword_prefix &&
    !m.end_of_word_suffix &&
    !m.byte_fallback &&
    !!m.vocab &&
    Array.isArray(m.merges) &&
    (j.added_tokens ?? []).every((t) => t.special !== false)
  );
}

export function parseByteLevelBpe(raw: unknown, where: string): BpeModelSpec | null {
  const j = raw as TokenizerJson;
  if (typeof raw !== 'object' || raw === null || !isPlainByteLevel(j)) return null;
  const vocab = j.model!.vocab!;
  const special = new Map<number, string>((j.added_tokens ?? []).map((t) => [t.id, t.content]));
  const size = Math.max(...Object.values(vocab), ...special.keys()) + 1;
  const tokenBytes: Array<Uint8Array | undefined> = new Array(size);
  for (const [alias, id] of Object.entries(vocab)) {
    if (special.has(id)) continue;
    const bytes = aliasToBytes(alias);
    if (!bytes) return null; // not a byte-level vocabulary
    tokenBytes[id] = bytes;
  }
  const merges: Array<[number, number, number]> = [];
  for (const m of j.model!.merges!) {
    const [l, r] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
    const a = vocab[l];
    const b = vocab[r];
    const c = vocab[l + r];
    if (a === undefined || b === undefined || c === undefined)
      throw new Error(`${where}: merge "${l} ${r}" names a token missing from the vocabulary; the tokenizer.json is damaged`);
    merges.push([a, b, c]);
  }
  const eot = EOT_NAMES.map((n) => [...special].find(([, c]) => c === n)?.[0]).find((id) => id !== undefined);
  if (eot === undefined) return null;
  return { tokenBytes, merges, special, eotId: eot };
}
