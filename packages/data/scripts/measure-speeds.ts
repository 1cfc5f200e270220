// Measures the numbers docs/data.md reports: BPE training time, single-thread encode speed of each
// tokenizer, and prepare throughput. Not a test (no assertions); run it on a quiet machine:
//   npx tsx --conditions=@hyperclone/source packages/data/scripts/measure-speeds.ts [CORPORA_DIR]
// CORPORA_DIR holds tinystories/ (train_*.txt, valid_*.txt) and wikitext2/ (*.txt): the repository's
// excerpts (fixtures/corpora, the default) or the whole files their NOTICE.md files name.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { BpeTokenizer } from '../src/tokenizers/bpe-tokenizer.js';
import { trainBpe, WordCounter } from '../src/tokenizers/bpe-trainer.js';
import { loadHfTokenizer } from '../src/tokenizers/hf-tokenizer.js';
import { prepareDataset, type Tokenizer } from '../src/index.js';
import { ByteTokenizer } from '../src/tokenizers/byte-tokenizer.js';
import { Gpt2Tokenizer } from '../src/tokenizers/gpt2-tokenizer.js';

const CORPORA = process.argv[2] ?? join(import.meta.dirname, '../../../fixtures/corpora');
const STORIES = join(CORPORA, 'tinystories');
/** The .txt files of a folder whose names start with `prefix`, in name order (not the notices). */
const files = (dir: string, prefix = ''): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.txt'))
    .sort()
    .map((f) => join(dir, f));
const texts = (dir: string, prefix = ''): string =>
  files(dir, prefix)
    .map((f) => readFileSync(f, 'utf8'))
    .join('');
const trainText = texts(STORIES, 'train_');
const sample = texts(join(CORPORA, 'wikitext2')) + texts(STORIES, 'valid_');
const mb = (chars: number): string => (chars / 2 ** 20).toFixed(2);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
let t = performance.now();
const counter = new WordCounter();
counter.add(trainText);
const countMs = performance.now() - t;
t = performance.now();
const { merges } = trainBpe(counter.counts, 4096 - 257);
const mergeMs = performance.now() - t;
console.log(
  `bpe:4096 training on ${mb(trainText.length)} Mi chars of TinyStories: count ${countMs.toFixed(0)} ms + merges ${mergeMs.toFixed(0)} ms = ${(countMs + mergeMs).toFixed(0)} ms (${counter.counts.size} distinct words)`,
);

const dir = mkdtempSync(join(tmpdir(), 'hyperclone-speed-'));
const bpe = BpeTokenizer.fromMerges('bpe:4096', merges);
await bpe.save(dir);
const tiktoken = getEncoding('gpt2');
const kinds: Array<[string, Pick<Tokenizer, 'encode'>]> = [
  ['byte', new ByteTokenizer()],
  ['bpe:4096 (built-in encoder)', bpe],
  ['gpt2 (built-in encoder)', new Gpt2Tokenizer()],
  ['gpt2 (js-tiktoken)', { encode: (s: string) => tiktoken.encode(s, [], []) }],
  ['bpe:4096 via hf: (@huggingface/tokenizers)', await loadHfTokenizer(dir)],
];
for (const [name, tok] of kinds) {
  const text = name.includes('hf:') || name.includes('tiktoken') ? sample.slice(0, 500_000) : sample;
  tok.encode(text.slice(0, 100_000)); // warm up caches and the JIT
  t = performance.now();
  const c0 = cpu();
  const n = tok.encode(text).length;
  const ms = performance.now() - t;
  console.log(
    `${name}: ${mb(text.length / (ms / 1000))} Mi chars/s, ${(n / (ms / 1000) / 1e6).toFixed(2)} M tokens/s (wall), ${mb(text.length / ((cpu() - c0) / 1000))} Mi chars per CPU-second`,
  );
}

t = performance.now();
const r = await prepareDataset({
  inputs: files(STORIES, 'train_'),
  valInputs: files(STORIES, 'valid_'),
  tokenizer: 'bpe:4096',
  out: join(dir, 'ts4k'),
});
console.log(
  `prepare ${STORIES} --tokenizer bpe:4096: ${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(r.tokensPerSec)} tokens/s, ${mb(r.bytesPerSec)} MiB/s`,
);
rmSync(dir, { recursive: true, force: true });
