// Where a long text may be cut into pieces that tokenize exactly as the whole: between a non-space
// newline and a non-space (a pre-tokenizer boundary for GPT-2-style regexes). Not a document splitter.

function isSpace(c: number): boolean {
  return (
    c === 32 ||
    c === 10 ||
    c === 13 ||
    c === 9 ||
    c === 11 ||
    c === 12 ||
    c === 0xa0 ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x3000 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x85 ||
    c === 0x1680 ||
    c === 0x202f ||
    c === 0x205f
  );
}

/**
 * Cut position in (0, limit] for text longer than `limit`: the last "x\n|y" (x, y not spaces), else the
 * last single space between two non-spaces, else (when `hard`) `limit` itself, moved off a surrogate
 * pair. Searches (limit / 2, limit]. Returns 0 when the text is not longer than `limit` or no cut fits.
 */
export function safeCut(text: string, limit: number, hard = true): number {
  if (text.length <= limit) return 0;
  const floor = Math.floor(limit / 2);
  for (let i = limit; i > floor; i--) {
    if (text.charCodeAt(i - 1) === 10 && !isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 2))) return i;
  }
  for (let i = limit; i > floor; i--) {
    if (text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i + 1))) return i;
  }
  if (!hard) return 0;
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit;
}

/**
 * How much of a growing document buffer can go out now as a piece: up to its last safe cut once it
 * holds `minChars`, so the buffer stays small (a hard cut only past `maxChars`). 0 means keep it all.
 */
export function pieceEnd(text: string, minChars: number, maxChars: number): number {
  if (text.length < minChars) return 0;
  const cut = safeCut(text, text.length - 1, false);
  if (cut > 0) return cut;
  return text.length > maxChars ? safeCut(text, maxChars) : 0;
}
