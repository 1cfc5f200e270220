// Messages that used to mislead, each now one line that says what is wrong: nHead that does not divide
// dModel, a number written as a string, an unknown config field, a file as --out (or in its path),
// `eval --task DIR`. Not the flag checks of the option table (train-flags.test.ts).

import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '@hyperclone/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneCommand } from '../src/commands/clone.js';
import { evalCommand } from '../src/commands/eval.js';
import { initCommand } from '../src/commands/init.js';
import { prepareCommand } from '../src/commands/prepare.js';
import { trainCommand } from '../src/commands/train.js';
import { hyperclone } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-messages-'));
let data: string;
let ckpt: string;

beforeAll(async () => {
  const text = join(root, 'text.txt');
  writeFileSync(text, 'a small corpus of plain words, repeated to have enough windows.\n'.repeat(300));
  data = join(root, 'data');
  await prepareDataset({ inputs: [text], tokenizer: 'byte', out: data });
  ckpt = join(root, 'tiny-ckpt');
  await initCommand.run(['--model', 'tiny', '--out', ckpt]);
});

function modelFile(name: string, config: Record<string, unknown>): string {
  const file = join(root, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('model configs', () => {
  it.each([
    [
      'nHead 5 with dModel 64',
      { dModel: 64, nHead: 5, nLayer: 1 },
      /nHead \(5\) must divide dModel \(64\): headDim = dModel \/ nHead = 12\.8/,
    ],
    ['dModel "64"', { dModel: '64', nHead: 4, nLayer: 1 }, /dModel must be a number, not a string \(got "64"\)/],
    ['n_layer', { dModel: 64, nHead: 4, n_layer: 2 }, /unknown field "n_layer" \(did you mean "nLayer"\?\)/],
  ])('%s: refused by init and train, one line each', async (name, config, reason) => {
    const file = modelFile(`${name.replace(/\W+/g, '-')}.json`, config);
    await expect(initCommand.run(['--model', file, '--out', join(root, 'never')])).rejects.toThrow(reason);
    const r = await hyperclone(['train', '--data', data, '--out', join(root, 'never-run'), '--model', file, '--backend', 'tfjs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^hyperclone: error: invalid model config: .*${reason.source}.*\\n$`));
    expect(readdirSync(root).filter((n) => n.startsWith('never'))).toEqual([]);
  });
});

describe('--out that is a file, or under one', () => {
  it('train, init, clone and prepare say so in words', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(trainCommand.run(['--data', data, '--out', file, '--model', 'tiny', '--backend', 'tfjs'])).rejects.toThrow(
      new RegExp(`^${file} is a file, not a directory; choose a directory path$`),
    );
    await expect(trainCommand.run(['--data', data, '--out', join(file, 'run'), '--model', 'tiny', '--backend', 'tfjs'])).rejects.toThrow(
      new RegExp(`^${file}/run: ${file} is a file, not a directory$`),
    );
    await expect(initCommand.run(['--model', 'tiny', '--out', join(file, 'ckpt')])).rejects.toThrow(
      new RegExp(`^--out ${file}/ckpt: ${file} is a file, not a directory$`),
    );
    await expect(cloneCommand.run(['--from', ckpt, '--width', '2', '--out', join(file, 'wide')])).rejects.toThrow(
      /a-file is a file, not a directory$/,
    );
    await expect(prepareCommand.run(['--input', join(root, 'text.txt'), '--tokenizer', 'byte', '--out', join(file, 'ds')])).rejects.toThrow(
      new RegExp(`^${file}/ds: ${file} is a file, not a directory$`),
    );
  });
});

describe('eval --task DIR', () => {
  it('names the directory and points at its docs.jsonl', async () => {
    const task = join(root, 'my_task');
    mkdirSync(task);
    writeFileSync(join(task, 'docs.jsonl'), '{"query":"q","choices":["a","b"],"gold":0}\n');
    await expect(evalCommand.run(['--checkpoint', ckpt, '--data', data, '--task', task, '--backend', 'tfjs'])).rejects.toThrow(
      new RegExp(`^task ${task} is a directory; give its JSONL file: --task ${task}/docs\\.jsonl$`),
    );
  });
});
