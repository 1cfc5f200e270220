// No silent wrong results: a checkpoint records its tokenizer (name and sha256), and eval, train --init
// and sample --data refuse data of another tokenizer, naming both; a checkpoint holding NaN or Inf is
// refused at load, naming the tensor. Not the tokenizers themselves (@hyperclone/data's tests).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@hyperclone/core';
import { prepareDataset, shakespearePath } from '@hyperclone/data';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cloneCommand } from '../src/commands/clone.js';
import { evalCommand } from '../src/commands/eval.js';
import { sampleCommand } from '../src/commands/sample.js';
import { trainCommand } from '../src/commands/train.js';
import { REPO } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-tok-'));
const SHAKESPEARE = shakespearePath();
const STORIES = join(REPO, 'fixtures/corpora/tinystories/valid_v1_head.txt');
const quick = ['--backend', 'tfjs', '--batch-size', '2', '--seq-len', '16', '--eval-windows', '2', '--peak-tflops', '0.01'];
let plays: string; // bpe:300 trained on Shakespeare
let stories: string; // bpe:300 trained on TinyStories: the same name and size, other merges
let bytes: string;
let ckpt: string;

beforeAll(async () => {
  const head = (file: string, name: string): string => {
    const out = join(root, name);
    writeFileSync(out, readFileSync(file, 'utf8').slice(0, 200_000));
    return out;
  };
  [plays, stories, bytes] = [join(root, 'plays'), join(root, 'stories'), join(root, 'bytes')];
  await prepareDataset({ inputs: [head(SHAKESPEARE, 'plays.txt')], tokenizer: 'bpe:300', out: plays });
  await prepareDataset({ inputs: [head(STORIES, 'stories.txt')], tokenizer: 'bpe:300', out: stories });
  await prepareDataset({ inputs: [join(root, 'plays.txt')], tokenizer: 'byte', out: bytes });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await trainCommand.run(['--data', plays, '--out', join(root, 'run'), '--model', 'tiny', '--steps', '2', ...quick]);
  vi.restoreAllMocks();
  ckpt = join(root, 'run/checkpoints/step-00000002');
});
afterEach(() => vi.restoreAllMocks());

function silently<T>(run: () => Promise<T>): Promise<T> {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return run();
}

const shaOf = (dataset: string): string =>
  (JSON.parse(readFileSync(join(dataset, 'meta.json'), 'utf8')) as { files: Record<string, { sha256: string }> }).files['tokenizer.json']!
    .sha256;

describe('tokenizer identity', () => {
  it("a trained checkpoint records its dataset's tokenizer: name and sha256 of tokenizer.json", async () => {
    expect((await loadCheckpoint(ckpt)).tokenizer).toEqual({ name: 'bpe:300', sha256: shaOf(plays) });
    expect(shaOf(stories)).not.toBe(shaOf(plays));
  });

  it('eval on data of another tokenizer is refused naming both (the same name, other file; or another name)', async () => {
    const mismatch = new RegExp(
      `^${ckpt} was trained with the tokenizer bpe:300 \\(sha256 ${shaOf(plays).slice(0, 12)}\\) but ${stories} was made with bpe:300 \\(sha256 ${shaOf(stories).slice(0, 12)}\\); use a dataset made with the model's tokenizer`,
    );
    await expect(evalCommand.run(['--checkpoint', ckpt, '--data', stories, ...quick.slice(0, 2)])).rejects.toThrow(mismatch);
    await expect(evalCommand.run(['--checkpoint', ckpt, '--data', bytes, ...quick.slice(0, 2)])).rejects.toThrow(
      /was trained with the tokenizer bpe:300 \(sha256 \w+\) but .*bytes was made with byte;/,
    );
    const ok = await silently(() =>
      evalCommand.run(['--checkpoint', ckpt, '--data', plays, '--eval-windows', '2', '--seq-len', '16', ...quick.slice(0, 2)]),
    );
    expect(ok).toBe(0);
  });

  it('train --init and sample --data refuse it too; a clone carries its source tokenizer', async () => {
    await expect(
      trainCommand.run(['--data', stories, '--out', join(root, 'never'), '--init', ckpt, '--steps', '2', ...quick]),
    ).rejects.toThrow(
      /^the initial model \(init checkpoint\) was trained with the tokenizer bpe:300 .* but .*stories was made with bpe:300/,
    );
    await expect(sampleCommand.run(['--checkpoint', ckpt, '--data', stories, '--tokens', '2', ...quick.slice(0, 2)])).rejects.toThrow(
      /was trained with the tokenizer bpe:300 .* but .*stories was made with bpe:300/,
    );
    const wide = join(root, 'wide');
    await silently(() => cloneCommand.run(['--from', ckpt, '--width', '2', '--out', wide]));
    expect((await loadCheckpoint(wide)).tokenizer).toEqual({ name: 'bpe:300', sha256: shaOf(plays) });
    await expect(evalCommand.run(['--checkpoint', wide, '--data', stories, ...quick.slice(0, 2)])).rejects.toThrow(
      /^.*wide was trained with/,
    );
  });
});

describe('non-finite weights', () => {
  it('a checkpoint holding NaN is refused at load by eval, sample and train --init, naming the tensor', async () => {
    const bad = join(root, 'nan-ckpt');
    const c = await loadCheckpoint(ckpt, { withTrainingState: false });
    c.weights.get('blocks.1.mlp.up.weight')!.data[7] = NaN;
    await saveCheckpoint(bad, c);
    const reason =
      /nan-ckpt\/model\.safetensors: tensor blocks\.1\.mlp\.up\.weight holds 1 non-finite value \(the first, at index 7, is NaN\); the weights are corrupt or come from a diverged run/;
    await expect(evalCommand.run(['--checkpoint', bad, '--data', plays, ...quick.slice(0, 2)])).rejects.toThrow(reason);
    await expect(sampleCommand.run(['--checkpoint', bad, '--tokens', '2', ...quick.slice(0, 2)])).rejects.toThrow(reason);
    await expect(trainCommand.run(['--data', plays, '--out', join(root, 'never2'), '--init', bad, ...quick])).rejects.toThrow(reason);
  });
});
