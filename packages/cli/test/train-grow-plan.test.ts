// `hyperclone train --grow-at` from scratch on both engines: the plan it prints before the first step
// (each stage's steps, model, tokens, FLOPs and tokens per parameter) against the run's own summary, a
// stage given as a share of the run, and the levers recorded. Child processes on builtin:stories.
// Not the stage keys' parsing (trainer tests) and not the growth (init tests).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '@hyperclone/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { hyperclone } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-grow-plan-'));
const data = join(root, 'stories');
beforeAll(async () => {
  await prepareDataset({ inputs: ['builtin:stories:1'], tokenizer: 'byte', out: data });
});

describe('hyperclone train --grow-at: the printed plan', () => {
  for (const backend of ['tfjs', 'torch']) {
    it(`prints every stage's cost before it starts, and the run spends it (${backend})`, async () => {
      const out = join(root, `run-${backend}`);
      const { code, stderr } = await hyperclone([
        'train',
        ...['--data', data, '--out', out, '--model', 'tiny', '--backend', backend, '--threads', '1'],
        ...['--steps', '8', '--batch-size', '2', '--seq-len', '16', '--eval-every', '4', '--eval-windows', '2'],
        ...['--grow-at', '25%:depth=2', '--grow-at', '4:width=2,variant=noisy-symmetric,moments=carry,warmup=0'],
      ]);
      expect(code, stderr).toBe(0);
      const plan = stderr.slice(stderr.indexOf('growth plan'), stderr.indexOf('training 8 steps'));
      expect(plan).toMatch(/stage\s+steps\s+model\s+params\s+tokens\s+FLOPs\s+tokens\/param/);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
        flops: number;
        stages: { fromStep: number; toStep: number; dModel: number; nLayer: number; flops: number; tokens: number }[];
      };
      expect(summary.stages.map((s) => [s.fromStep, s.toStep, s.dModel, s.nLayer, s.tokens])).toEqual([
        [0, 2, 64, 2, 64],
        [2, 4, 64, 4, 64],
        [4, 8, 128, 4, 128],
      ]);
      // the plan's FLOPs are the ones the run counted, stage by stage and in all
      for (const s of summary.stages) {
        const line = new RegExp(
          `\\n\\s*${summary.stages.indexOf(s)}\\s+${s.fromStep + 1}-${s.toStep}\\s+d${s.dModel} x ${s.nLayer}L\\s+\\S+\\s+${s.tokens}\\s+${s.flops.toExponential(2).replace('+', '\\+')}\\s`,
        );
        expect(plan).toMatch(line);
      }
      expect(plan).toContain(`in all: 256 tokens, ${summary.flops.toExponential(2)} FLOPs`);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
        growAt: unknown[];
        stages: { moments: string; warmup: number }[];
      };
      expect(config.growAt).toEqual([
        { fraction: 0.25, depth: 2 },
        { step: 4, width: 2, variant: 'noisy-symmetric', moments: 'carry', warmup: 0 },
      ]);
      expect(config.stages.map((s) => [s.moments, s.warmup])).toEqual([
        ['zero', 0],
        ['zero', 0],
        ['carry', 0],
      ]);
    });
  }
});
