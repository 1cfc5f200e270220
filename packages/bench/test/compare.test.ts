// compareCloneVsRandom end to end on tfjs at toy size: the files it writes, function preservation
// through the benchmark, identical eval windows per seed, and the per-seed targets. Not the statistics.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCloneVsRandom } from '../src/compare.js';
import { reanalyzeBench } from '../src/reanalyze.js';
import type { BenchResult } from '../src/analyze.js';
import type { EvalEvent, Summary } from '@hyperclone/trainer';
import { shakespeareDataset, tempDir } from './fixtures.js';

const ARMS = ['random', 'clone-noisy-symmetric'];
const SEEDS = [0, 1];
const STEPS = 6;

let b: Backend;
let data: string;
let out: string;
let result: BenchResult;
let labels: string[] = [];

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
const evalsOf = (arm: string, seed: number) => readJsonl<EvalEvent>(join(out, 'runs', `${arm}-seed${seed}`, 'eval.jsonl'));

beforeAll(async () => {
  b = await createTfjsBackend();
  data = await shakespeareDataset();
  out = join(tempDir('hc-bench-'), 'bench');
  result = await compareCloneVsRandom({
    data,
    out,
    backend: b,
    small: 'tiny',
    smallSteps: 8,
    width: 2,
    variants: ['noisy-symmetric'],
    seeds: SEEDS.length,
    steps: STEPS,
    batchSize: 2,
    seqLen: 32,
    evalEvery: 2,
    evalWindows: 4,
    schedule: 'constant', // so the report has the by-budget table and plot
    smallSchedule: 'cosine',
    warmup: 2,
    onRun: (label, index, total) => labels.push(`${index + 1}/${total} ${label}`),
  });
}, 120_000);

afterAll(async () => {
  b?.close();
  if (out) await rm(join(out, '..'), { recursive: true, force: true });
});

describe('compareCloneVsRandom (tfjs, tiny -> width 2, 2 seeds, 6 steps)', () => {
  it('trains the small model, then random and the clone for each seed, in that order', () => {
    expect(labels).toEqual([
      '1/5 small',
      '2/5 random seed 0',
      '3/5 clone:noisy-symmetric seed 0',
      '4/5 random seed 1',
      '5/5 clone:noisy-symmetric seed 1',
    ]);
    expect(readdirSync(join(out, 'runs')).sort()).toEqual([
      'clone-noisy-symmetric-seed0',
      'clone-noisy-symmetric-seed1',
      'random-seed0',
      'random-seed1',
    ]);
    expect(existsSync(join(out, 'small', 'summary.json'))).toBe(true);
  });

  it('writes summary.json, report.md, report.html with inline SVG, and the plots', () => {
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BenchResult;
    expect(summary.format).toBe('hyperclone-bench');
    expect(summary.version).toBe(1);
    expect(summary).toEqual(JSON.parse(JSON.stringify(result)));
    expect(summary.options).toMatchObject({
      small: 'tiny',
      smallSteps: 8,
      width: 2,
      ffn: 2,
      variants: ['noisy-symmetric'],
      seeds: 2,
      steps: STEPS,
      batchSize: 2,
      seqLen: 32,
      backend: 'tfjs',
      schedule: 'constant',
      smallSchedule: 'cosine',
    });
    // under the constant learning rate: one by-budget row per evaluation after step 0, the last = the main table
    expect(summary.byBudget!.map((r) => r.step)).toEqual([2, 4, 6]);
    expect(summary.byBudget!.at(-1)!.clones['clone:noisy-symmetric']!.smallFree).toEqual(summary.clones[0]!.smallFree);
    expect(summary.small).toMatchObject({ steps: 8, tokens: 8 * 2 * 32 });
    expect(summary.clones.map((c) => [c.arm, c.seeds])).toEqual([['clone:noisy-symmetric', 2]]);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^# Clone vs random: time to target/);
    expect(md).toContain('| clone:noisy-symmetric |');
    expect(md).toContain('## Speedup by budget');
    expect(md).toContain('![Validation accuracy vs training FLOPs (dashed: target)](plots/accuracy-vs-flops.svg)');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('<td>clone:noisy-symmetric</td>');

    const plots = readdirSync(join(out, 'plots'));
    for (const file of [
      'accuracy-vs-flops.svg',
      'accuracy-vs-tokens.svg',
      'loss-vs-tokens.svg',
      'accuracy-vs-device-hours.svg',
      'loss-vs-device-hours.svg',
      'symmetry-vs-tokens.svg',
      'speedup-vs-budget.svg',
    ]) {
      expect(plots).toContain(file);
      const svg = readFileSync(join(out, 'plots', file), 'utf8');
      expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    }
  });

  it('every wide run held the learning rate constant after its warmup; the small model annealed', () => {
    const small = readJsonl<{ lr: number }>(join(out, 'small', 'metrics.jsonl')).map((m) => m.lr);
    expect(small).toHaveLength(8);
    expect(small.at(-1)!).toBeLessThan(Math.max(...small) / 2);
    for (const arm of ARMS) {
      const lrs = readJsonl<{ step: number; lr: number }>(join(out, 'runs', `${arm}-seed0`, 'metrics.jsonl')).map((m) => m.lr);
      expect(lrs).toHaveLength(STEPS);
      expect(lrs[0]).toBeLessThan(lrs[2]!); // warming up
      expect(new Set(lrs.slice(2)).size).toBe(1);
    }
  });

  it('every run logs evaluations from step 0 to the budget every 2 steps', () => {
    for (const arm of ARMS) {
      for (const seed of SEEDS) {
        const evals = evalsOf(arm, seed);
        expect(evals.map((e) => e.step)).toEqual([0, 2, 4, 6]);
        expect(evals[0]).toMatchObject({ step: 0, tokens: 0, flops: 0 });
        expect(evals.at(-1)!.tokens).toBe(STEPS * 2 * 32);
        // clones carry a symmetry score (a cosine; noisy copies start below 1); random init has none
        if (arm === 'random') expect(evals[0]!.symmetry).toBeNull();
        else for (const e of evals) expect(e.symmetry!.mean!).toSatisfy((m: number) => m > 0.5 && m <= 1);
      }
    }
  });

  it("every clone starts at the small model's final validation loss (function preservation, within 1e-5)", () => {
    const small = JSON.parse(readFileSync(join(out, 'small', 'summary.json'), 'utf8')) as Summary;
    expect(small.finalValLoss).not.toBeNull();
    expect(result.small!.finalValLoss).toBe(small.finalValLoss);
    const smallEvals = readJsonl<EvalEvent>(join(out, 'small', 'eval.jsonl'));
    expect(smallEvals.at(-1)!.step).toBe(8);
    for (const seed of SEEDS) {
      const first = evalsOf('clone-noisy-symmetric', seed)[0]!;
      expect(Math.abs(first.val.loss - small.finalValLoss!)).toBeLessThanOrEqual(1e-5);
      expect(first.val.tokens).toBe(smallEvals.at(-1)!.val.tokens);
    }
    // a random wide model starts far from it (near ln 256 for bytes)
    expect(Math.abs(evalsOf('random', 0)[0]!.val.loss - small.finalValLoss!)).toBeGreaterThan(0.05);
  });

  it('the random and clone arms of a seed are scored on identical eval windows', () => {
    for (const seed of SEEDS) {
      const random = evalsOf('random', seed);
      const clone = evalsOf('clone-noisy-symmetric', seed);
      expect(clone.map((e) => e.val.tokens)).toEqual(random.map((e) => e.val.tokens));
      expect(random[0]!.val.tokens).toBe(4 * 32);
      // same data order and batch shapes: identical token counts (and FLOPs: the same wide shapes) per eval
      expect(clone.map((e) => e.tokens)).toEqual(random.map((e) => e.tokens));
      expect(clone.map((e) => e.flops)).toEqual(random.map((e) => e.flops));
    }
  });

  it("summary.json's per-seed targets are the random arms' final accuracies", () => {
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BenchResult;
    expect(summary.target.metric).toBe('valAcc');
    const expected = Object.fromEntries(SEEDS.map((s) => [String(s), evalsOf('random', s).at(-1)!.val.acc]));
    expect(summary.target.perSeed).toEqual(expected);
    for (const seed of SEEDS) {
      const random = JSON.parse(readFileSync(join(out, 'runs', `random-seed${seed}`, 'summary.json'), 'utf8')) as Summary;
      expect(summary.target.perSeed[String(seed)]).toBe(random.finalValAcc);
      // the random arm reaches its own final accuracy by its last evaluation at the latest
      const outcome = summary.arms['random']!.find((o) => o.seed === seed)!;
      expect(outcome.cost).not.toBeNull();
      expect(outcome.cost!.step).toBeLessThanOrEqual(STEPS);
      expect(outcome.budget).toMatchObject({ step: STEPS, tokens: STEPS * 2 * 32 });
    }
  });

  // last: it rewrites summary.json
  it('bench report: analyzing the finished runs again gives the same result; a given target replaces the default', async () => {
    expect(await reanalyzeBench(out)).toEqual(result);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    const given = await reanalyzeBench(out, { metric: 'valAcc', value: 0.01 });
    expect(given.target).toEqual({ metric: 'valAcc', definition: 'given', perSeed: { '0': 0.01, '1': 0.01 } });
    expect(given.byBudget).toBeUndefined(); // by-budget rows are for the default target only
    // a report again without a target keeps the given one
    expect((await reanalyzeBench(out)).target.definition).toBe('given');
    await expect(reanalyzeBench(join(out, 'runs'))).rejects.toThrow(/holds no benchmark to report on \(no summary.json\)/);
  });

  // last: it moves the folder
  it('records its runs relative to itself, so a moved folder reports the same', async () => {
    const recorded = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BenchResult;
    expect(recorded.arms['random']!.map((o) => o.runDir)).toEqual(['runs/random-seed0', 'runs/random-seed1']);
    expect(recorded.options['data']).toBe(relative(out, data));
    const moved = join(out, '..', 'moved', 'bench');
    cpSync(out, moved, { recursive: true });
    await rm(out, { recursive: true });
    const again = await reanalyzeBench(moved);
    expect(JSON.parse(JSON.stringify(again))).toEqual(recorded);
    expect(readFileSync(join(moved, 'report.md'), 'utf8')).toContain('| clone:noisy-symmetric |');
    expect(readdirSync(join(moved, 'plots'))).toContain('accuracy-vs-flops.svg');
    expect(JSON.stringify(again)).not.toContain(join(out, '..'));
  });
});
