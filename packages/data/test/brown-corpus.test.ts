// Tests of the built-in Brown corpus: the detokenizer's rules on tagged snippets, the fixed
// train/val division of the 500 samples, and `prepare --input builtin:brown` end to end.
// Not the story corpus (prepare-tokenizers.test.ts) nor the other input formats.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset, prepareDataset } from '../src/index.js';
import { brownDocuments, brownFiles } from '../src/corpus/brown-corpus.js';
import { brownParagraphs, brownText } from '../src/corpus/brown-detokenize.js';
import { parseBuiltin } from '../src/corpus/builtin-inputs.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { tempDir } from './helpers.js';

const dir = tempDir('brown');

describe('the Brown detokenizer', () => {
  it('drops tags and attaches punctuation and double quotes', () => {
    const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, and/cc Atlanta's/np$ mayor/nn agreed/vbd ./.\n";
    expect(brownText(tagged)).toBe('The jury said "no evidence," and Atlanta\'s mayor agreed.');
  });

  it('puts a period back inside closing quotes and undoes the doubled end marks and `Jr. .`', () => {
    expect(brownText("\tHe/pps said/vbd ``/`` go/vb ''/'' ./.")).toBe('He said "go."');
    expect(brownText('\tWhy/wrb ?/. ?/.')).toBe('Why?');
    expect(brownText('\tin/in June/np ;/. ;/. or/cc not/*')).toBe('in June; or not');
    expect(brownText('\tIvan/np Allen/np Jr./np ./.')).toBe('Ivan Allen Jr.');
  });

  it('attaches dashes and parentheses, and opens or closes single quotes', () => {
    expect(brownText('\tthe/at smell/nn --/-- ripe/jj --/-- rose/vbd ./.')).toBe('the smell--ripe--rose.');
    expect(brownText('\ta/at (/( small/jj )/) cat/nn')).toBe('a (small) cat');
    expect(brownText("\tcalled/vbn '/' parallel/jj ladder/nn '/' ./.")).toBe("called 'parallel ladder'.");
  });

  it('keeps paragraphs (a tab opens one), sentences joined by a space, headlines on their own', () => {
    const tagged = ['\tOne/cd ./.', 'Two/cd ./.', '', 'Merger/nn-hl proposed/vbn-hl ', 'However/wrb ,/, no/at ./.', '\tThree/cd ./.'].join(
      '\n',
    );
    expect(brownParagraphs(tagged)).toEqual(['One. Two.', 'Merger proposed', 'However, no.', 'Three.']);
    expect(brownText(tagged)).toBe('One. Two.\n\nMerger proposed\n\nHowever, no.\n\nThree.');
  });
});

describe('builtin:brown', () => {
  it('divides the 500 samples: every tenth file is validation, at least one per genre', () => {
    const train = brownFiles('train').map((f) => basename(f));
    const val = brownFiles('val').map((f) => basename(f));
    expect([train.length, val.length, brownFiles('all').length]).toEqual([450, 50, 500]);
    expect(val.slice(0, 5)).toEqual(['ca10', 'ca20', 'ca30', 'ca40', 'cb06']);
    expect(new Set(val.map((f) => f[1])).size).toBe(15); // genres a-r (no i, o, q)
    expect(train.filter((f) => val.includes(f))).toEqual([]);
  });

  it('reads each sample as one document of edited text', () => {
    const [first] = brownDocuments('train');
    expect(first!.startsWith('The Fulton County Grand Jury said Friday an investigation of')).toBe(true);
    expect(first).toContain('produced "no evidence" that any irregularities took place.\n\nThe jury further said');
    expect(first).not.toMatch(/\/[a-z]|``|''| [,.;:?!]/);
  });

  it('parses the built-in names and rejects unknown ones', () => {
    expect(parseBuiltin('builtin:brown')).toEqual({ name: 'brown', part: 'all' });
    expect(parseBuiltin('builtin:brown:val')).toEqual({ name: 'brown', part: 'val' });
    expect(parseBuiltin('builtin:stories:2')).toEqual({ name: 'stories', bytes: 2 * 2 ** 20 });
    expect(parseBuiltin('builtin:shakespeare')).toEqual({ name: 'shakespeare' });
    expect(parseBuiltin('corpus.txt')).toBeNull();
    expect(() => parseBuiltin('builtin:brwn')).toThrow(
      /unknown built-in corpus; use builtin:shakespeare, builtin:brown, builtin:brown:train/,
    );
  });

  it('prepares with the fixed division: 450 training and 50 validation documents, the same tokens every run', async () => {
    const r = await prepareDataset({ inputs: ['builtin:brown'], tokenizer: 'byte', out: join(dir, 'byte') });
    expect(r.meta.split.method).toBe('val-inputs');
    expect(r.meta.documents).toEqual({ train: 450, val: 50 });
    expect(r.meta.tokens).toEqual({ train: 5_369_430, val: 599_933 });
    expect(r.meta.sources.map((s) => [s.path, s.split])).toEqual([
      ['builtin:brown:train', 'train'],
      ['builtin:brown:val', 'val'],
    ]);
    expect(r.meta.sources[0]!.sha256).toBe('0cfaed3ab35f7a6aeb8ff55ee245e106c7e49c0b3241941c0aff34fd403a1b24');
    const ds = await openDataset(r.out);
    const val = new ByteTokenizer().decode(ds.split('val').read(0, 200));
    expect(val.startsWith('Vincent G. Ierulli has been appointed temporary assistant district attorney, it was')).toBe(true);
    expect(readFileSync(join(r.out, 'meta.json'), 'utf8')).toContain('"tokenizer": "byte"');
  });

  it('samples validation from all 500 documents when --val-fraction is given', async () => {
    const r = await prepareDataset({ inputs: ['builtin:brown'], tokenizer: 'byte', out: join(dir, 'sampled'), valFraction: 0.2 });
    expect(r.meta.split.method).toBe('documents');
    expect(r.meta.documents).toEqual({ train: 400, val: 100 });
    expect(r.meta.sources.map((s) => s.path)).toEqual(['builtin:brown']);
  });
});
