// `hyperclone train --dry-run`: the memory plan on stdout (one rank's weights, gradients, moments, activations and
// buffers; each option's total and the widest clone that fits), nothing written, and exit 1 with one line naming
// the smallest change that fits, or that none does. Not the formulas (core's memory-estimate.test.ts).

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GIB, rankState, resolveConfig, withVocab } from '@hyperclone/core';
import { prepareDataset } from '@hyperclone/data';
import { beforeAll, expect, it } from 'vitest';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { hyperclone } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-plan-'));
let data: string;

beforeAll(async () => {
  data = join(root, 'ts');
  await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out: data });
});

const plan = (out: string, extra: string[]) => [
  'train',
  ...['--data', data, '--out', out, '--model', 'cpu-256', '--backend', 'torch', '--batch-size', '16', '--seq-len', '256'],
  '--dry-run',
  ...extra,
];
const gib = (bytes: number) => (bytes / GIB).toFixed(bytes < 10 * GIB ? 2 : 1);

describeTorch('hyperclone train --dry-run', () => {
  const model = withVocab(resolveConfig('cpu-256'), 257);

  it('prints one rank of 4 ranks under ZeRO-2 with checkpointing, every option, and writes nothing', async () => {
    const out = join(root, 'fits');
    const r = await hyperclone(
      plan(out, ['--nproc', '4', '--zero-stage', '2', '--activation-checkpointing', 'blocks', '--device-memory', '16']),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const s = rankState(model, 4, 256, { zeroStage: 2, worldSize: 4, checkpointEvery: 1, gradAccum: 1 });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^memory plan: \d[\d,]+ parameters \(dModel 256, nLayer 4\), 4 x 256 tokens per micro-batch on each of 4 ranks, zero stage 2, activation checkpointing blocks, on cpu$/,
    );
    expect(lines[1]).toBe(
      `per rank (GiB): weights ${gib(s.weights)}, gradients ${gib(s.gradients)}, moments ${gib(s.moments)}, activations ${gib(s.activations)}, collective buffers ${gib(s.buffers)}`,
    );
    expect(lines[3]).toMatch(/^total: [\d.]+ GiB of 16\.0 GiB \(--device-memory 16\): fits \([\d.]+ GiB to spare\)$/);
    const options = lines.filter((l) => l.startsWith('  --zero-stage'));
    expect(options).toHaveLength(6); // 3 stages x 2 checkpointing modes (no autocast on cpu)
    for (const o of options) expect(o).toMatch(/ fits {2}widest: width x\d+ \([\d,]+ parameters\)$/);
    expect(existsSync(out)).toBe(false);
  });

  it('a plan that does not fit: exit 1, one line with how much over and the smallest change that fits', async () => {
    const out = join(root, 'over');
    const r = await hyperclone(plan(out, ['--device-memory', '1']));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('does not fit');
    expect(r.stderr).toMatch(
      /^hyperclone: error: train --dry-run: the plan needs [\d.]+ GiB per rank but 1\.00 GiB is there \([\d.]+ GiB over\); --activation-checkpointing blocks would fit \([\d.]+ GiB\)\n$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('when no option fits it says so, in one line', async () => {
    const r = await hyperclone(plan(join(root, 'never'), ['--device-memory', '0.01']));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^hyperclone: error: train --dry-run: the plan needs .* \(.* over\); no ZeRO stage, activation checkpointing or autocast makes it fit: lower --batch-size or --seq-len, add ranks, or train a smaller model\n$/,
    );
  });
});
