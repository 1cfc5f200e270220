// GPT-2's byte-level conventions: the printable-character alias of each byte (as in tokenizer.json
// vocabularies) and the pre-tokenizer regex. Not an encoder.

/** GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, whitespace. */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function byteAliases(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  return out;
}

/** BYTE_TO_CHAR[b]: the character tokenizer.json uses for byte b (space is "Ġ"). */
const BYTE_TO_CHAR: readonly string[] = byteAliases();

/** Inverse of BYTE_TO_CHAR. */
const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The tokenizer.json spelling of a byte string. */
export function bytesToAlias(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!];
  return s;
}

/** Bytes of a tokenizer.json spelling, or null when it has a character that is no byte alias. */
export function aliasToBytes(alias: string): Uint8Array | null {
  const out = new Uint8Array(alias.length);
  for (let i = 0; i < alias.length; i++) {
    const b = CHAR_TO_BYTE.get(alias[i]!);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
