// No dead ends after a crash: a torn last log line is dropped with a warning (every parse error names
// its file), a corrupt newest checkpoint falls back to the newest valid one, a run that died before its
// first checkpoint starts over in place, `best` is swapped in one rename and recovered from what a
// crash left, stale temporaries are swept. Not a full disk (no-space.test.ts).

import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  appendFileSync,
  cpSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { randomInit } from '@hyperclone/init';
import { resumeInitializer, trainFrom, type TrainOptions } from '../src/index.js';
import { readJsonl, tempDir, tfjsRuns } from './fixtures.js';

const runs = tfjsRuns();

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return runs.options(out, { steps: 8, batchSize: 2, seqLen: 16, warmup: 1, evalEvery: 2, evalWindows: 2, ...extra });
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => undefined;
  return { warnings, debug: none, info: none, warn: (_o, msg) => void warnings.push(msg ?? ''), error: none };
}

const stepsOf = (file: string): number[] => readJsonl<{ step: number }>(file).map((r) => r.step);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('torn and bad log lines', () => {
  it('a torn last line of metrics.jsonl and eval.jsonl is dropped with a warning naming the file; the resume continues', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { stopAfter: 4 }));
    appendFileSync(join(out, 'metrics.jsonl'), '{"step":5,"totalSteps":8,"tok');
    appendFileSync(join(out, 'eval.jsonl'), '{"step":6,"val":{"lo');
    const log = recordingLogger();
    const resumed = await trainFrom(randomInit('tiny'), options(out, { resume: true, logger: log }));
    expect(resumed.summary.steps).toBe(8);
    expect(log.warnings).toContainEqual(
      expect.stringMatching(/metrics\.jsonl: dropped a torn last line \(a crash mid-write\): \{"step":5,"totalSteps":8,"tok/),
    );
    expect(log.warnings).toContainEqual(expect.stringMatching(/eval\.jsonl: dropped a torn last line/));
    expect(stepsOf(join(out, 'metrics.jsonl'))).toEqual(range(1, 8));
    expect(stepsOf(join(out, 'eval.jsonl'))).toEqual([2, 4, 6, 8]);
  });

  it('a bad line that is not the last is refused naming the file and the line', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { stopAfter: 4 }));
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n');
    lines[1] = '{not json';
    writeFileSync(join(out, 'metrics.jsonl'), lines.join('\n'));
    await expect(trainFrom(randomInit('tiny'), options(out, { resume: true }))).rejects.toThrow(
      new RegExp(`^${out}/metrics\\.jsonl line 2 is not valid JSON \\(.*\\); repair or remove that line$`),
    );
  });
});

describe('checkpoints after a crash', () => {
  it('a corrupt newest checkpoint: the resume falls back to the newest valid one and says which', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { checkpointEvery: 2, keepBest: false, stopAfter: 4 }));
    const newest = join(out, 'checkpoints/step-00000004');
    writeFileSync(join(newest, 'model.safetensors'), readFileSync(join(newest, 'model.safetensors')).subarray(0, 500));
    const log = recordingLogger();
    const init = await resumeInitializer(out); // what `hyperclone train --out RUN --resume` uses
    const resumed = await trainFrom(init, options(out, { checkpointEvery: 2, keepBest: false, resume: true, logger: log }));
    expect(log.warnings).toContainEqual(
      expect.stringMatching(
        /^checkpoint .*step-00000004 is unusable \(.*model\.safetensors.*\); resuming from the newest valid one, .*step-00000002 \(step 2\)$/,
      ),
    );
    expect(resumed.summary.steps).toBe(8);
    expect(stepsOf(join(out, 'metrics.jsonl'))).toEqual(range(1, 8));
  });

  it('with no usable checkpoint the refusal lists each one and why', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { stopAfter: 2, keepBest: false }));
    const only = join(out, 'checkpoints/step-00000002/model.safetensors');
    writeFileSync(only, readFileSync(only).subarray(0, 1000));
    await expect(trainFrom(randomInit('tiny'), options(out, { resume: true }))).rejects.toThrow(
      /^cannot resume .*: no checkpoint is usable: .*step-00000002 \(.*model\.safetensors.*\)/,
    );
  });

  it('a run that died before its first checkpoint starts over in place, with --resume (saying so) or without', async () => {
    for (const resume of [true, false]) {
      const out = tempDir();
      await trainFrom(randomInit('tiny', { seed: 3 }), options(out, { stopAfter: 3 }));
      rmSync(join(out, 'checkpoints'), { recursive: true }); // as if killed before the first checkpoint
      rmSync(join(out, 'summary.json'));
      const log = recordingLogger();
      const init = resume ? await resumeInitializer(out) : randomInit('tiny', { seed: 3 });
      const result = await trainFrom(init, options(out, { resume, logger: log }));
      expect(result.summary.steps).toBe(8);
      expect(log.warnings).toContainEqual(
        resume
          ? expect.stringMatching(
              /^cannot resume .* from a checkpoint: it has none \(it stopped before its first\); starting over from step 0 with its saved settings$/,
            )
          : expect.stringMatching(/^.* holds a run that stopped before its first checkpoint; starting it over$/),
      );
      expect(stepsOf(join(out, 'metrics.jsonl'))).toEqual(range(1, 8));
    }
  });

  it('resumeInitializer rebuilds a random init from the saved config when there is no checkpoint', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny', { seed: 7 }), options(out, { stopAfter: 1 }));
    rmSync(join(out, 'checkpoints'), { recursive: true });
    const rebuilt = await (await resumeInitializer(out)).load();
    const fresh = await randomInit('tiny', { seed: 7, vocabSize: rebuilt.config.vocabSize }).load();
    expect(rebuilt.weights.get('tok_emb.weight')!.data).toEqual(fresh.weights.get('tok_emb.weight')!.data);
  });
});

describe('best', () => {
  it('checkpoints/best is a link swapped in one rename to a best-N directory; the old one is removed', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { steps: 6, lr: 3e-3 }));
    const dir = join(out, 'checkpoints');
    expect(lstatSync(join(dir, 'best')).isSymbolicLink()).toBe(true);
    const target = readlinkSync(join(dir, 'best'));
    expect(target).toMatch(/^best-0000000\d$/);
    expect(
      readdirSync(dir)
        .filter((n) => n.startsWith('best'))
        .sort(),
    ).toEqual(['best', target]);
    const best = await loadCheckpoint(join(dir, 'best'));
    expect((best.trainerState as { step: number }).step).toBe(Number(target.slice(5)));
  });

  it('a crash between the two renames of an older version (no best, a complete .best.tmp-*) is recovered; temporaries are swept', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { stopAfter: 4 }));
    const dir = join(out, 'checkpoints');
    const target = readlinkSync(join(dir, 'best'));
    // what the two-rename replacement left after a kill -9 between its renames, plus other writes' temporaries
    cpSync(join(dir, target), join(dir, '.best.tmp-4242-abcdef'), { recursive: true });
    cpSync(join(dir, target), join(dir, '.best.old-4242-ghijkl'), { recursive: true });
    rmSync(join(dir, 'best'));
    rmSync(join(dir, target), { recursive: true });
    cpSync(join(dir, 'step-00000004'), join(dir, '.step-00000006.tmp-4242-mnopqr'), { recursive: true });
    mkdirSync(join(dir, '.best-00000002.tmp-4242-stuvwx'));
    writeFileSync(join(out, '.summary.json.tmp-4242-yzabcd'), '{');
    const log = recordingLogger();
    await trainFrom(randomInit('tiny'), options(out, { resume: true, logger: log }));
    expect(log.warnings).toContainEqual(expect.stringMatching(/checkpoints\/best was missing .*recovered it from \.best\.tmp-4242-abcdef/));
    expect(log.warnings).toContainEqual(expect.stringMatching(/removed 4 stale temporaries left by an interrupted write/));
    const names = readdirSync(dir);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(join(dir, 'best', 'model.safetensors'))).toBe(true);
  });

  it('a dangling best link (its directory gone) is pointed at the newest best-N there is', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { stopAfter: 4 }));
    const dir = join(out, 'checkpoints');
    const target = readlinkSync(join(dir, 'best'));
    rmSync(join(dir, 'best'));
    symlinkSync('best-00000099', join(dir, 'best'));
    const log = recordingLogger();
    await trainFrom(randomInit('tiny'), options(out, { resume: true, stopAfter: 1, logger: log }));
    expect(log.warnings).toContainEqual(expect.stringMatching(new RegExp(`checkpoints/best was missing .*recovered it from ${target}`)));
  });
});
