// A tokenizer's identity as checkpoints and datasets record it: its name (`byte`, `gpt2`, `bpe:4096`,
// `hf:DIR`) and the sha256 of its file when it has one. Not a tokenizer (@hyperclone/data has those).

export interface TokenizerIdentity {
  name: string;
  /** sha256 of tokenizer.json; null for tokenizers that need no file (byte, gpt2). */
  sha256: string | null;
}

/** Two identities name the same tokenizer: the same file hash when both have one, else the same name. */
export function sameTokenizer(a: TokenizerIdentity, b: TokenizerIdentity): boolean {
  return a.sha256 !== null && b.sha256 !== null ? a.sha256 === b.sha256 : a.name === b.name && a.sha256 === b.sha256;
}

/** `bpe:4096 (sha256 1a2b3c4d5e6f)`, or just the name. */
export function describeTokenizer(t: TokenizerIdentity): string {
  return t.sha256 === null ? t.name : `${t.name} (sha256 ${t.sha256.slice(0, 12)})`;
}

/**
 * Throws when a model made with `model`'s tokenizer meets data of another: its ids would mean other text,
 * and every number computed on them would be meaningless. `model` null (an untrained init) passes.
 */
export function checkSameTokenizer(model: TokenizerIdentity | null, data: TokenizerIdentity, modelWhere: string, dataWhere: string): void {
  if (model === null || sameTokenizer(model, data)) return;
  throw new Error(
    `${modelWhere} was trained with the tokenizer ${describeTokenizer(model)} but ${dataWhere} was made with ${describeTokenizer(data)}; ` +
      "use a dataset made with the model's tokenizer (hyperclone prepare --tokenizer <its tokenizer.json or name>)",
  );
}
