// `hyperclone import` and `export` end to end: import a GPT-2 fixture, prepare TinyStories with its tokenizer, clone 2x,
// train 100 steps, export; the PyTorch transcription of transformers gives the exported models' losses. Bad input too.
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import type { Backend } from '@hyperclone/core';
import { crossEntropyLoss, disposeParams, forward, hostTensor, uploadParams } from '@hyperclone/core';
import { loadModelDir } from '@hyperclone/init';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../../hf/test/helpers/fixtures.js';
import { describePython, runReference } from '../../hf/test/helpers/python-reference.js';
import { hyperclone } from './run-cli.js';

let root: string;
let b: Backend;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hyperclone-cli-hf-'));
  b = await createTfjsBackend();
});
afterAll(async () => {
  b?.close();
  await rm(root, { recursive: true, force: true });
});

const STORIES = join(import.meta.dirname, '../../../fixtures/corpora/tinystories/valid_v1_head.txt');
/** 2 rows of 16 story bytes (byte-level ids: the fixture's tokenizer maps each byte to itself). */
const ROWS = [0, 5000].map((at) => Array.from(readFileSync(STORIES).subarray(at, at + 16)));

async function ok(args: string[]): Promise<string> {
  const r = await hyperclone(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Our mean next-token loss of a model directory on ROWS (tfjs). */
async function ourLoss(dir: string): Promise<number> {
  const m = await loadModelDir(dir);
  const params = uploadParams(b, m.config, m.weights);
  const T = ROWS[0]!.length - 1;
  const inputs = hostTensor([2, T], Int32Array.from(ROWS.flatMap((r) => r.slice(0, -1))));
  const targets = hostTensor([2, T], Int32Array.from(ROWS.flatMap((r) => r.slice(1))));
  try {
    let loss = 0;
    b.tidy(() => {
      const logits = forward(b, m.config, params, b.fromHost(inputs)).logits; // (2, T, V)
      loss = b.toHost(crossEntropyLoss(b, logits, b.fromHost(targets))).data[0]!;
    });
    return loss;
  } finally {
    disposeParams(b, params);
  }
}

describePython('import -> clone -> train -> export, checked by the PyTorch transcription', () => {
  it('keeps the tokenizer with the weights, and every exported model has the loss of what was exported', async () => {
    const [ckpt, wide, data, run, hf, hfWide] = ['ckpt', 'wide', 'data', 'run', 'hf', 'hf-wide'].map((d) => join(root, d)) as string[];
    expect(await ok(['import', '--from', fixtureDir('gpt2-tied'), '--out', ckpt!])).toMatch(
      /GPT2LMHeadModel .*carried tokenizer\.json, tokenizer_config\.json/,
    );
    await ok(['prepare', '--input', STORIES, '--tokenizer', `hf:${ckpt}`, '--out', data!]);
    expect(await ok(['clone', '--from', ckpt!, '--width', '2', '--variant', 'noisy-symmetric', '--out', wide!])).toMatch(/clone x2/);
    await ok([
      'train',
      '--data',
      data!,
      '--init',
      wide!,
      '--out',
      run!,
      '--steps',
      '100',
      '--batch-size',
      '4',
      '--seq-len',
      '16',
      '--eval-every',
      '50',
    ]);
    const trained = join(run!, 'checkpoints', 'step-00000100');
    expect(readdirSync(trained)).toContain('tokenizer.json');
    const exported = await ok(['export', '--from', trained, '--out', hf!]);
    expect(exported).toMatch(/wrote .*GPT2LMHeadModel, float32, .*tokenizer\.json/);
    expect(exported).toMatch(/folded: logitScale 0\.5 folded into an untied lm_head/);
    await ok(['export', '--from', wide!, '--out', hfWide!, '--dtype', 'float32']);

    const runs = runReference([hf!, hfWide!, fixtureDir('gpt2-tied')], ROWS);
    for (const r of Object.values(runs)) expect(r.error).toBeUndefined();
    // the exported trained model has the trained checkpoint's loss; the exported (untrained) clone the source's
    expect(Math.abs(runs[hf!]!.loss - (await ourLoss(trained)))).toBeLessThan(1e-5);
    expect(Math.abs(runs[hfWide!]!.loss - runs[fixtureDir('gpt2-tied')]!.loss)).toBeLessThan(1e-5);
    expect(runs[hf!]!.loss).toBeLessThan(runs[hfWide!]!.loss - 0.5); // 100 steps on TinyStories did train it
    const evalTrained = JSON.parse(await ok(['eval', '--checkpoint', trained, '--data', data!, '--json'])) as { loss: number };
    const evalHf = JSON.parse(await ok(['eval', '--checkpoint', hf!, '--data', data!, '--json'])) as { loss: number };
    expect(Math.abs(evalHf.loss - evalTrained.loss)).toBeLessThan(1e-5);
  });
});

describe('import and export refuse bad input in one line and leave nothing behind', () => {
  async function refused(args: string[], out: string, message: RegExp, code = 1): Promise<void> {
    const r = await hyperclone(args);
    expect(r.code, r.stdout).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines.length).toBeLessThanOrEqual(2); // the reason (and for usage errors, the usage line)
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary directories left either
  }

  it('an unsupported architecture, a truncated file, an existing --out, a bad --dtype, a family that cannot hold the model', async () => {
    const bert = join(root, 'bert');
    cpSync(fixtureDir('gpt2-tied'), bert, { recursive: true });
    writeFileSync(join(bert, 'config.json'), JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' }));
    await refused(['import', '--from', bert, '--out', join(root, 'x1')], join(root, 'x1'), /unsupported architecture "BertForMaskedLM"/);
    const cut = join(root, 'cut');
    cpSync(fixtureDir('opt-tied'), cut, { recursive: true });
    writeFileSync(join(cut, 'model.safetensors'), readFileSync(join(cut, 'model.safetensors')).subarray(0, 3000));
    await refused(['import', '--from', cut, '--out', join(root, 'x2')], join(root, 'x2'), /truncated\?/);
    await refused(
      ['export', '--from', fixtureDir('opt-tied'), '--out', join(root, 'x3'), '--dtype', 'float8'],
      join(root, 'x3'),
      /--dtype must be float32, bfloat16 or float16/,
      2,
    );
    await refused(
      ['export', '--from', fixtureDir('llama-gqa-sharded'), '--out', join(root, 'x4'), '--family', 'gpt2'],
      join(root, 'x4'),
      /cannot export as GPT-2: GPT-2 normalizes with LayerNorm/,
    );
    await refused(['export', '--from', join(root, 'missing'), '--out', join(root, 'x5')], join(root, 'x5'), /does not exist/);
    const r = await hyperclone(['import', '--from', fixtureDir('opt-tied'), '--out', bert]);
    expect([r.code, r.stderr.trim()]).toEqual([1, `hyperclone: error: --out ${bert} already exists; choose a new path or remove it first`]);
  });
});
