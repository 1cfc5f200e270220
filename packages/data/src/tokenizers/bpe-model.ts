// The model of a byte-level BPE: the bytes of each id, the merges in priority order, the special ids.
// Not an encoder (bpe-tokenizer.ts) and not a file reader (bpe-json.ts parses tokenizer.json into it).

export interface BpeModelSpec {
  /** Bytes of each ordinary id (undefined for special ids). */
  tokenBytes: Array<Uint8Array | undefined>;
  /** Merges in priority order: [left id, right id, merged id]. */
  merges: Array<[number, number, number]>;
  /** Special ids and their text. */
  special: Map<number, string>;
  eotId: number;
}
