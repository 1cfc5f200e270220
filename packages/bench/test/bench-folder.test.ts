// The benchmark's --out: a non-empty folder that is not a benchmark of the same run-shaping options is
// refused untouched; every input is checked before the first step; an interrupted benchmark continues
// (finished runs reused, the partial one resumed). Not the benchmark's numbers (compare.test.ts).

import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { randomInit } from '@hyperclone/init';
import { trainFrom } from '@hyperclone/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCloneVsRandom } from '../src/compare.js';
import type { CompareOptions } from '../src/bench-options.js';
import { shakespeareDataset, tempDir } from './fixtures.js';

let b: Backend;
let data: string;

beforeAll(async () => {
  b = await createTfjsBackend();
  data = await shakespeareDataset();
}, 120_000);
afterAll(() => b?.close());

function options(out: string, extra: Partial<CompareOptions> = {}): CompareOptions {
  return {
    data,
    out,
    backend: b,
    small: 'tiny',
    smallSteps: 3,
    width: 2,
    seeds: 1,
    steps: 3,
    batchSize: 2,
    seqLen: 16,
    evalEvery: 3,
    evalWindows: 2,
    warmup: 1,
    ...extra,
  };
}

/** Every file under dir with its content, to show a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) files[p] = `-> ${readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p);
      else files[p] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return files;
}

describe('bench --out', () => {
  it('a finished training run as --out is refused and left untouched', async () => {
    const run = join(tempDir(), 'run');
    await trainFrom(randomInit('tiny'), { data, out: run, backend: b, steps: 2, batchSize: 2, seqLen: 16, evalWindows: 2 });
    const before = snapshot(run);
    await expect(compareCloneVsRandom(options(run))).rejects.toThrow(
      new RegExp(`^${run} is not empty and holds no benchmark \\(no bench\\.json\\); choose a new or empty folder$`),
    );
    expect(snapshot(run)).toEqual(before);
  });

  it('any other non-empty folder is refused too', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(compareCloneVsRandom(options(out))).rejects.toThrow(/is not empty and holds no benchmark/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });

  it('checks --data, --small, the clone and the training options before the first step, leaving nothing', async () => {
    const root = tempDir();
    const notCkpt = join(root, 'not-a-checkpoint');
    mkdirSync(notCkpt);
    const cases: [Partial<CompareOptions>, RegExp][] = [
      [{ data: join(root, 'no-data') }, /no such dataset directory/],
      [{ small: notCkpt }, /--small .*not-a-checkpoint is a directory but not a checkpoint/],
      [{ small: 'huge' }, /unknown model preset "huge"/],
      [{ ffn: 0 }, /hyperclone ffn must be an integer >= 1/],
      [{ seqLen: 4096 }, /seqLen 4096 exceeds the model's context length 128/],
      [{ lr: -1 }, /lr: /],
    ];
    for (const [extra, reason] of cases) {
      const out = join(root, 'bench');
      await expect(compareCloneVsRandom(options(out, extra))).rejects.toThrow(reason);
      expect(existsSync(out)).toBe(false);
    }
    expect(readdirSync(root)).toEqual(['not-a-checkpoint']);
  });

  it('an interrupted benchmark continues: finished runs are reused, the partial one resumes', async () => {
    const out = join(tempDir(), 'bench');
    const controller = new AbortController();
    const started: string[] = [];
    const first = await compareCloneVsRandom(
      options(out, {
        onRun: (label) => {
          started.push(label);
          if (label.startsWith('random')) controller.abort(); // the random arm stops at its first step
        },
        trainHooks: { signal: controller.signal },
      }),
    );
    expect(started).toEqual(['small', 'random seed 0']);
    expect(Object.keys(first.arms)).toEqual([]);
    const smallMetrics = readFileSync(join(out, 'small', 'metrics.jsonl'), 'utf8');

    const again: string[] = [];
    const result = await compareCloneVsRandom(options(out, { onRun: (label) => again.push(label) }));
    expect(again).toEqual(['small', 'random seed 0', 'clone:noisy-symmetric seed 0']);
    expect(readFileSync(join(out, 'small', 'metrics.jsonl'), 'utf8')).toBe(smallMetrics); // finished: reused
    expect(Object.keys(result.arms).sort()).toEqual(['clone:noisy-symmetric', 'random']);
    const randomSteps = readFileSync(join(out, 'runs/random-seed0/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(randomSteps).toEqual([1, 2, 3]);

    // once finished, the same call reuses every run and trains nothing
    const randomMetrics = readFileSync(join(out, 'runs/random-seed0/metrics.jsonl'), 'utf8');
    const third = await compareCloneVsRandom(options(out));
    expect(third.arms).toEqual(result.arms);
    expect(readFileSync(join(out, 'runs/random-seed0/metrics.jsonl'), 'utf8')).toBe(randomMetrics);
    expect((JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { finished: boolean }).finished).toBe(true);
  });

  it('a benchmark of other run-shaping options is refused, naming what differs', async () => {
    const out = join(tempDir(), 'bench');
    const controller = new AbortController();
    controller.abort();
    await compareCloneVsRandom(options(out, { trainHooks: { signal: controller.signal } }));
    await expect(compareCloneVsRandom(options(out, { width: 3, lr: 0.01 }))).rejects.toThrow(
      /holds a benchmark of other options: width \(saved 2, now 3\); ffn \(saved 2, now 3\); lr \(saved null, now 0\.01\); give the same options or choose a new folder/,
    );
  });
});
