// One writer per output: a second `train` (or a `--resume`) on a running run's --out is refused in one
// line naming the first one's PID; the lock goes away on SIGTERM and on errors; prepare and bench take
// their outputs' locks too. Not the lock itself (core's dir-lock tests).

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDir, lockFileOf } from '@hyperclone/core';
import { prepareDataset, shakespearePath } from '@hyperclone/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../src/commands/bench.js';
import { prepareCommand } from '../src/commands/prepare.js';
import { trainCommand } from '../src/commands/train.js';
import { hyperclone } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-lock-'));
const SHAKESPEARE = shakespearePath();
let data: string;

beforeAll(async () => {
  data = join(root, 'ts');
  await prepareDataset({ inputs: [SHAKESPEARE], tokenizer: 'byte', out: data });
});

const small = [
  '--model',
  'tiny',
  '--backend',
  'tfjs',
  '--batch-size',
  '2',
  '--seq-len',
  '16',
  '--eval-windows',
  '2',
  '--peak-tflops',
  '0.01',
];

function rowsOf(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

describe('one writer per run directory', () => {
  it('a second train and a --resume on a running run are refused naming its PID; SIGTERM releases the lock', async () => {
    const run = join(root, 'run');
    let second: Awaited<ReturnType<typeof hyperclone>> | undefined;
    let resumed: Awaited<ReturnType<typeof hyperclone>> | undefined;
    let firstPid = 0;
    const first = await hyperclone(
      ['train', '--data', data, '--out', run, ...small, '--steps', '100000', '--eval-every', '100000'],
      (pid) => {
        firstPid = pid;
        const poll = setInterval(() => {
          if (rowsOf(join(run, 'metrics.jsonl')) < 2) return;
          clearInterval(poll);
          void (async () => {
            second = await hyperclone(['train', '--data', data, '--out', run, ...small, '--steps', '10']);
            resumed = await hyperclone(['train', '--out', run, '--resume', '--backend', 'tfjs']);
            process.kill(pid, 'SIGTERM');
          })();
        }, 100);
      },
    );
    expect(first.code).toBe(130);
    for (const refused of [second!, resumed!]) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(
          `^hyperclone: error: ${run} is in use by PID ${firstPid} \\(hyperclone train, since [^)]+\\); wait for it to finish or stop it\\n$`,
        ),
      );
    }
    expect(existsSync(lockFileOf(run))).toBe(false);
    // every row is the first run's: one per step, in order
    const steps = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
  });

  it('an error after the lock was taken releases it and leaves nothing behind', async () => {
    const run = join(root, 'fails/run');
    await expect(trainCommand.run(['--data', data, '--out', run, ...small, '--task', join(root, 'no-such-task.jsonl')])).rejects.toThrow(
      /cannot read task file/,
    );
    expect(existsSync(join(root, 'fails'))).toBe(false);
  });
});

describe('prepare and bench lock their outputs', () => {
  it('prepare refuses an output another process is writing', async () => {
    const out = join(root, 'ds');
    const lock = lockDir(out, { command: 'prepare' });
    try {
      await expect(prepareCommand.run(['--input', SHAKESPEARE, '--tokenizer', 'byte', '--out', out])).rejects.toThrow(
        new RegExp(`${out} is in use by PID ${process.pid}`),
      );
    } finally {
      lock.release();
    }
    expect(readdirSync(root).filter((n) => n.startsWith('.ds'))).toEqual([]);
  });

  it('bench refuses a folder another process is writing, before writing bench.log', async () => {
    const out = join(root, 'bench');
    const lock = lockDir(out, { command: 'bench' });
    try {
      await expect(
        benchCommand.run(['clone-vs-random', '--data', data, '--small', 'tiny', '--width', '2', '--out', out, '--backend', 'tfjs']),
      ).rejects.toThrow(new RegExp(`${out} is in use by PID ${process.pid}`));
    } finally {
      lock.release();
    }
    expect(existsSync(out)).toBe(false);
  });
});
