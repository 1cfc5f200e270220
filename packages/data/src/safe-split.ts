// Where a long text may be cut into pieces that tokenize exactly as the whole: between a non-space
// newline and a non-space (a pre-tokenizer boundary for GPT-2-style regexes). Not a document splitter.

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x85 || c === 0x1680 || c === 0x202f || c === 0x205f;
}

/**
 * Cut position in (0, limit] for text longer than `limit`: the last "x\n|y" (x, y not spaces), else the
 * last single space between two non-spaces, else `limit` itself (moved off a surrogate pair).
 * Returns 0 when the text is not longer than `limit`.
 */
export function safeCut(text: string, limit: number): number {
  if (text.length <= limit) return 0;
  const floor = Math.floor(limit / 2);
  for (let i = limit; i > floor; i--) {
    if (text.charCodeAt(i - 1) === 10 && !isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 2))) return i;
  }
  for (let i = limit; i > floor; i--) {
    if (text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i + 1))) return i;
  }
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit;
}
