// Tests of prepare on JSONL, parquet and gzip inputs, and on bad input: errors naming the file, skipBad counts, dtype limits.
// Not .txt document splitting (prepare-txt.test.ts) and not the tokenizer kinds (prepare-tokenizers.test.ts).

import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { openDataset, prepareDataset, type Tokenizer } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { tempDir } from './helpers.js';

const dir = tempDir('formats');
const tok = new ByteTokenizer();

async function docsOf(out: string): Promise<{ train: string[]; val: string[] }> {
  const ds = await openDataset(out);
  const docs = (s: 'train' | 'val'): string[] =>
    tok
      .decode(ds.split(s).read(0, ds.split(s).length))
      .split('<|endoftext|>')
      .slice(0, -1);
  const r = { train: docs('train'), val: docs('val') };
  ds.close();
  return r;
}

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('prepare: JSONL, parquet and gzip inputs', () => {
  it('reads the text field of .jsonl and .jsonl.gz, and a custom field', async () => {
    const a = file('a.jsonl', jsonl([{ text: 'first doc' }, { text: 'second\ndoc', id: 2 }]));
    const b = file('b.jsonl.gz', gzipSync(jsonl([{ text: 'gz doc ü' }])));
    const out = join(dir, 'jsonl');
    const r = await prepareDataset({ inputs: [a, b], tokenizer: 'byte', out, valInputs: [file('v.jsonl', jsonl([{ text: 'val doc' }]))] });
    expect(await docsOf(out)).toEqual({ train: ['first doc', 'second\ndoc', 'gz doc ü'], val: ['val doc'] });
    expect(r.meta.sources.map((s) => s.split)).toEqual(['train', 'train', 'val']);
    const c = file('c.jsonl', jsonl([{ body: 'custom field' }]));
    await prepareDataset({ inputs: [c], tokenizer: 'byte', out: join(dir, 'custom'), textField: 'body', valFraction: 0 });
    expect((await docsOf(join(dir, 'custom'))).train).toEqual(['custom field']);
  });

  it('reads a parquet text column across row groups', async () => {
    const p = join(dir, 'docs.parquet');
    const texts = Array.from({ length: 25 }, (_, i) => `parquet row ${i}`);
    parquetWriteFile({
      filename: p,
      columnData: [
        { name: 'id', data: texts.map((_, i) => i), type: 'INT32' },
        { name: 'content', data: texts, type: 'STRING' },
      ],
      rowGroupSize: 10,
    });
    const out = join(dir, 'parquet');
    const r = await prepareDataset({ inputs: [p], tokenizer: 'byte', out, textField: 'content', valFraction: 0.2 });
    const docs = await docsOf(out);
    expect([...docs.train, ...docs.val].sort()).toEqual([...texts].sort());
    expect(r.meta.documents).toEqual({ train: 20, val: 5 });
    await expect(prepareDataset({ inputs: [p], tokenizer: 'byte', out: join(dir, 'nocol') })).rejects.toThrow(
      /docs.parquet: missing text column \(no column "text" \(columns: id, content\); choose one with --text-field\)/,
    );
    expect(existsSync(join(dir, 'nocol'))).toBe(false);
  });
});

describe('prepare: bad input', () => {
  const good = (): string => file('good.txt', 'a good document');

  it('names the file and line of a JSONL line that is not JSON, or lacks the text field', async () => {
    const bad = file('bad.jsonl', '{"text": "ok"}\n{"text": oops}\n');
    await expect(prepareDataset({ inputs: [bad], tokenizer: 'byte', out: join(dir, 'x1') })).rejects.toThrow(
      /bad.jsonl:2: invalid JSON .*pass --skip-bad/,
    );
    const missing = file('missing.jsonl', '{"text": "ok"}\n\n{"title": "t", "body": "b"}\n');
    await expect(prepareDataset({ inputs: [missing], tokenizer: 'byte', out: join(dir, 'x2') })).rejects.toThrow(
      /missing.jsonl:3: missing text field \(no "text" field \(fields: title, body\); choose one with --text-field\)/,
    );
    expect(existsSync(join(dir, 'x1')) || existsSync(join(dir, 'x2'))).toBe(false);
  });

  it('rejects binary, non-UTF-8, corrupt gzip and unreadable files by name', async () => {
    const bin = file('image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]));
    await expect(prepareDataset({ inputs: [bin], tokenizer: 'byte', out: join(dir, 'y1') })).rejects.toThrow(
      /image.txt: binary file \(NUL byte at byte 4/,
    );
    const latin1 = file('latin1.txt', Buffer.from('caf\xe9 au lait', 'latin1'));
    await expect(prepareDataset({ inputs: [latin1], tokenizer: 'byte', out: join(dir, 'y2') })).rejects.toThrow(
      /latin1.txt: not UTF-8 text/,
    );
    const gz = file('broken.txt.gz', Buffer.from('this is not gzip'));
    await expect(prepareDataset({ inputs: [gz], tokenizer: 'byte', out: join(dir, 'y3') })).rejects.toThrow(/broken.txt.gz: corrupt gzip/);
    const corpus = join(dir, 'withdir');
    mkdirSync(join(corpus, 'real'), { recursive: true });
    writeFileSync(join(corpus, 'ok.txt'), 'fine');
    symlinkSync(join(corpus, 'real'), join(corpus, 'z.txt'));
    await expect(prepareDataset({ inputs: [corpus], tokenizer: 'byte', out: join(dir, 'y4') })).rejects.toThrow(
      /z.txt: unreadable file \(EISDIR\)/,
    );
  });

  it('with skipBad, skips and counts bad records and files', async () => {
    const bad = file(
      'mixed.jsonl',
      jsonl([{ text: 'one' }, { x: 1 }, { text: 'two' }]) + 'not json\n' + jsonl([{ text: null }, { text: 'three' }]),
    );
    const bin = file('blob.txt', Buffer.from([1, 2, 0, 3]));
    const r = await prepareDataset({
      inputs: [good(), bad, bin],
      tokenizer: 'byte',
      out: join(dir, 'skip'),
      skipBad: true,
      valFraction: 0,
    });
    expect(r.meta.skipped).toEqual({
      documents: 3,
      files: 1,
      reasons: { 'missing text field': 1, 'invalid JSON': 1, 'null text': 1, 'binary file': 1 },
    });
    expect((await docsOf(join(dir, 'skip'))).train).toEqual(['a good document', 'one', 'two', 'three']);
  });

  it('needs uint32 for a vocabulary beyond 65536 ids', async () => {
    const big: Tokenizer = {
      name: 'big',
      vocabSize: 70000,
      eotId: 69999,
      encode: (t) => Array.from(t, (c) => 65536 + (c.charCodeAt(0) % 100)),
      decode: () => '',
      save: async () => ({ spec: 'big', files: [] }),
    };
    await expect(prepareDataset({ inputs: [good()], tokenizer: big, out: join(dir, 'u16'), dtype: 'uint16' })).rejects.toThrow(
      /tokenizer big has 70000 ids, which do not fit uint16; use --dtype uint32/,
    );
    expect(existsSync(join(dir, 'u16'))).toBe(false);
    const r = await prepareDataset({ inputs: [good()], tokenizer: big, out: join(dir, 'u32'), valFraction: 0 });
    expect(r.meta.dtype).toBe('uint32');
    const ds = await openDataset(join(dir, 'u32'));
    expect(Array.from(ds.split('train').read(0, 2))).toEqual([65536 + ('a'.charCodeAt(0) % 100), 65536 + (' '.charCodeAt(0) % 100)]);
    ds.close();
  });
});
