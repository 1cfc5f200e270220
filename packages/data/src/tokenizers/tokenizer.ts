// The Tokenizer interface every tokenizer kind implements (byte, gpt2, bpe:N, hf:DIR).
// Not a loader (see load-tokenizer.ts) and not a trainer (see bpe-trainer.ts).

/** How a tokenizer is written into a dataset directory: by name, or as a file beside meta.json. */
export interface TokenizerSaveInfo {
  /** The spec stored in meta.json (`byte`, `gpt2`, `bpe:4096`, `hf:tokenizer.json`). */
  spec: string;
  /** File names written into the directory (empty when the name alone is enough). */
  files: string[];
}

export interface Tokenizer {
  /** Short name for logs and meta.json, e.g. `byte`, `gpt2`, `bpe:4096`. */
  readonly name: string;
  /** Number of ids, end-of-text included: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** The end-of-text id that separates documents. */
  readonly eotId: number;
  /** Text to ids. Special-token text inside `text` is encoded as ordinary text where the kind allows it. */
  encode(text: string): number[] | Int32Array;
  /** Ids to text; the end-of-text id becomes `<|endoftext|>`. */
  decode(ids: ArrayLike<number>): string;
  /** Writes what is needed to load this tokenizer again into `dir` (a dataset directory). */
  save(dir: string): Promise<TokenizerSaveInfo>;
}

/** The literal used for the end-of-text token by every built-in kind. */
export const EOT_TEXT = '<|endoftext|>';
