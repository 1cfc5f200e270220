// The benchmark's growth arms on tfjs at toy size: rotated and deeper clones, G_stack copies and a staged arm,
// their comparison with the reference arm, and a folder that reuses its finished runs. Not the statistics.
import { readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import type { EvalEvent, Summary } from '@hyperclone/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCloneVsRandom } from '../src/compare.js';
import type { CompareOptions } from '../src/bench-options.js';
import type { BenchResult } from '../src/analyze.js';
import { shakespeareDataset, tempDir } from './fixtures.js';

let b: Backend;
let out: string;
let options: CompareOptions;
let result: BenchResult;

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
const evalsOf = (run: string) => readJsonl<EvalEvent>(join(out, 'runs', run, 'eval.jsonl'));

beforeAll(async () => {
  b = await createTfjsBackend();
  out = join(tempDir('hc-bench-grow-'), 'bench');
  options = {
    data: await shakespeareDataset(),
    out,
    backend: b,
    small: 'tiny',
    smallSteps: 4,
    width: 2,
    depth: 2,
    variants: ['noisy-symmetric', 'symmetric+rotate', 'noisy-symmetric+stack+copy'],
    stages: [{ step: 4, width: 2, depth: 2 }], // a growth in width is noisy-symmetric unless it says otherwise
    seeds: 2,
    steps: 4,
    batchSize: 2,
    seqLen: 32,
    evalEvery: 2,
    evalWindows: 4,
    schedule: 'constant',
    warmup: 1,
  };
  result = await compareCloneVsRandom(options);
}, 300_000);

afterAll(async () => {
  b?.close();
  if (out) await rm(join(out, '..'), { recursive: true, force: true });
});

describe('compareCloneVsRandom with growth arms (tfjs, tiny -> 2x wide, 2x deep, 2 seeds)', () => {
  it('grows every clone and the random arm to 4 layers of 128, and the rotated and identity clones start where the small model ended', () => {
    const small = JSON.parse(readFileSync(join(out, 'small', 'summary.json'), 'utf8')) as Summary;
    for (const run of ['random-seed0', 'clone-noisy-symmetric-seed0', 'clone-symmetric+rotate-seed1', 'stages-seed0']) {
      const config = JSON.parse(readFileSync(join(out, 'runs', run, 'config.json'), 'utf8'));
      expect(config.stages.at(-1).model, run).toMatchObject({ dModel: 128, nLayer: 4 });
    }
    for (const run of ['clone-noisy-symmetric-seed0', 'clone-symmetric+rotate-seed1'])
      expect(Math.abs(evalsOf(run)[0]!.val.loss - small.finalValLoss!), run).toBeLessThanOrEqual(1e-5);
    // G_stack copies the trained blocks: not the small model's function any more
    expect(Math.abs(evalsOf('clone-noisy-symmetric+stack+copy-seed0')[0]!.val.loss - small.finalValLoss!)).toBeGreaterThan(1e-3);
  });

  it('runs the staged arm for its small phase plus the budget, and adds no small model to its cost', () => {
    const evals = evalsOf('stages-seed1');
    expect(evals.map((e) => [e.step, e.stage])).toEqual([
      [0, 0],
      [2, 0],
      [4, 0],
      [6, 1],
      [8, 1],
    ]);
    const staged = result.clones.find((c) => c.arm === 'stages')!;
    expect(staged.speedupWithSmall).toEqual(staged.speedup);
    expect(result.options).toMatchObject({ depth: 2, stages: [{ step: 4, width: 2, depth: 2, variant: 'noisy-symmetric', warmup: 1 }] });
  });

  it('compares every arm with the reference arm, clone:noisy-symmetric', () => {
    expect(result.options['reference']).toBe('clone:noisy-symmetric');
    const byArm = Object.fromEntries(result.clones.map((c) => [c.arm, c]));
    expect(byArm['clone:noisy-symmetric']!.versus).toBeNull();
    for (const arm of ['clone:symmetric+rotate', 'clone:noisy-symmetric+stack+copy', 'stages']) {
      const v = byArm[arm]!.versus!;
      expect(v.arm).toBe('clone:noisy-symmetric');
      const ref = result.arms['clone:noisy-symmetric']!;
      const mine = result.arms[arm]!;
      const expected = mine.map((o, i) => (o.cost && ref[i]!.cost ? ref[i]!.cost!.flops / o.cost.flops : null));
      expect(v.speedup.flops.perSeed).toEqual(expected);
    }
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('FLOPs speedup vs clone:noisy-symmetric');
    expect(md).toContain('## Clone symmetry over training');
  });

  it('reuses the finished runs of a folder and trains only the arm that is new', async () => {
    const before = statSync(join(out, 'runs', 'random-seed0', 'summary.json')).mtimeMs;
    const labels: string[] = [];
    const again = await compareCloneVsRandom({
      ...options,
      variants: [...options.variants!, 'noisy-symmetric+interleave'],
      onRun: (label) => labels.push(label),
    });
    expect(statSync(join(out, 'runs', 'random-seed0', 'summary.json')).mtimeMs).toBe(before);
    expect(again.clones.map((c) => c.arm)).toContain('clone:noisy-symmetric+interleave');
    expect(again.arms['random']).toEqual(result.arms['random']);
    await expect(compareCloneVsRandom({ ...options, steps: 6 })).rejects.toThrow(
      /holds a benchmark of other options: .*steps \(saved \d+, now 6\)/,
    );
  });
});
