// Turns one file of the POS-tagged Brown corpus (NLTK's form: `word/tag` tokens, a tab opens a
// paragraph, one sentence per line) back into edited English text. Not a reader of files.
//
// Rules: tags are dropped (the tag is after the last `/`); `` and '' become `"`, attached to the
// next and the previous word; `'` opens or closes a single quote (it opens when no single quote is
// open and a word follows); , . ; : ? ! ) and -- attach to the previous word, ( and -- to the next;
// sentences of a paragraph are joined by one space, paragraphs by a blank line; a line whose every
// tag is a headline tag (`-hl`) is a paragraph of its own. Artefacts of the tagging are undone: the
// doubled `? ?`, `; ;`, `! !` at a sentence end, the extra `.` after an abbreviation that ends a
// sentence (`Jr. .`), and a period or comma moved out of closing quotes (`'' .` reads `."`).

/** Punctuation that hangs on the word before it. */
const ATTACH_LEFT = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', "''", '--', '...']);
/** Punctuation that hangs on the word after it. */
const ATTACH_RIGHT = new Set(['(', '[', '{', '``', '--']);
/** End marks the tagged corpus writes twice at a sentence end. */
const DOUBLED = new Set(['?', '!', ';', ':']);
const IS_WORD = /[\p{L}\p{N}$&*]/u;

/** The word of a `word/tag` token (tokens without a tag are kept whole). */
export function brownWord(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Words as printed: tagging artefacts (doubled end marks, `Jr. .`, `'' .`) undone. */
function untag(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const prev = out[out.length - 1];
    if (prev === w && DOUBLED.has(w)) continue;
    if (w === '.' && prev !== undefined && prev.length > 1 && prev.endsWith('.')) continue;
    if ((w === '.' || w === ',') && prev === "''") out.splice(out.length - 1, 0, w);
    else out.push(w);
  }
  return out;
}

/** Edited text of one sentence's (or paragraph's) words; `quote` tracks an open single quote. */
function joinWords(words: readonly string[], quote: { open: boolean }): string {
  let out = '';
  let glueNext = true; // no space before the first word
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let text = w;
    let left = ATTACH_LEFT.has(w);
    let right = ATTACH_RIGHT.has(w);
    if (w === '``' || w === "''") text = '"';
    if (w === "'") {
      const next = words[i + 1];
      const opens = !quote.open && next !== undefined && IS_WORD.test(next);
      quote.open = opens;
      left = !opens;
      right = opens;
    }
    out += glueNext || left ? text : ` ${text}`;
    glueNext = right;
  }
  return out;
}

/** A token of a headline: its tag carries `-hl`. */
const isHeadline = (token: string): boolean => /\/[^/]*-hl/.test(token);

/** One paragraph per element, sentences joined by a space. */
export function brownParagraphs(tagged: string): string[] {
  const paragraphs: string[][] = [];
  let afterHeading = false;
  for (const line of tagged.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    const heading = tokens.some(isHeadline) && tokens.every((t) => isHeadline(t) || !IS_WORD.test(brownWord(t)));
    if (line.startsWith('\t') || heading || afterHeading || paragraphs.length === 0) paragraphs.push([]);
    paragraphs[paragraphs.length - 1]!.push(...tokens.map(brownWord));
    afterHeading = heading;
  }
  return paragraphs.map((words) => joinWords(untag(words), { open: false }));
}

/** The whole file as text: paragraphs separated by a blank line, no trailing newline. */
export function brownText(tagged: string): string {
  return brownParagraphs(tagged).join('\n\n');
}
