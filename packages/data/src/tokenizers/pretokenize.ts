// A hand-written scanner equivalent to GPT-2's pre-tokenizer regex (GPT2_SPLIT in byte-level.ts),
// several times faster than the Unicode-property regex. Not a tokenizer: it only finds the pieces.

const OTHER = 0;
const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;

let bmp: Uint8Array | null = null;
const astral = new Map<number, number>();

function classify(ch: string): number {
  if (/\s/u.test(ch)) return SPACE;
  if (/\p{L}/u.test(ch)) return LETTER;
  if (/\p{N}/u.test(ch)) return NUMBER;
  return OTHER;
}

/** Class table for the Basic Multilingual Plane, built once (surrogates count as OTHER here). */
function table(): Uint8Array {
  if (bmp) return bmp;
  bmp = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) if (c < 0xd800 || c > 0xdfff) bmp[c] = classify(String.fromCharCode(c));
  return bmp;
}

/** Class of the code point at i and its width in UTF-16 units. */
function classAt(text: string, i: number, t: Uint8Array): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return t[c]!;
  const d = text.charCodeAt(i + 1);
  if (!(d >= 0xdc00 && d <= 0xdfff)) return OTHER;
  const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  let k = astral.get(cp);
  if (k === undefined) astral.set(cp, (k = classify(String.fromCodePoint(cp))));
  return k;
}

function widthAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return 1;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

/** End of the run of class k starting at i (OTHER means: neither space, letter nor number). */
function runEnd(text: string, i: number, k: number, t: Uint8Array): number {
  const n = text.length;
  while (i < n && classAt(text, i, t) === k) i += widthAt(text, i);
  return i;
}

/** Length of a contraction ('s 't 're 've 'm 'll 'd) at i, else 0. */
function contraction(text: string, i: number): number {
  const a = text.charCodeAt(i + 1);
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  const b = text.charCodeAt(i + 2);
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3; // re ve ll
  return 0;
}

/** Calls piece(start, end) for each pre-token of text, in order; the pieces cover the text. */
export function forEachPiece(text: string, piece: (start: number, end: number) => void): void {
  const t = table();
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let end: number;
    if (c === 39 && contraction(text, i) > 0) end = i + contraction(text, i);
    else {
      const k = classAt(text, i, t);
      if (k !== SPACE) end = runEnd(text, i, k, t);
      else {
        const j = runEnd(text, i, SPACE, t);
        if (j === n) end = n;
        else if (j - i > 1)
          end = j - 1; // \s+(?!\S): leave the last space for the next piece
        else if (c === 32)
          end = runEnd(text, i + 1, classAt(text, i + 1, t), t); // " word", " 123", " ?!"
        else end = j; // a lone non-space whitespace before text
      }
    }
    piece(i, end);
    i = end;
  }
}
