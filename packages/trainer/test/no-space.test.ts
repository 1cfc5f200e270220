// A full disk mid-run (ENOSPC injected into node:fs and node:fs/promises): the error names the file, how much the
// write needed, how much is free, and the last good checkpoint; no temporary is left. Not a real full
// disk (a small tmpfs shows the same, see docs/training.md).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { randomInit } from '@hyperclone/init';
import { trainFrom, type TrainOptions } from '../src/index.js';
import { shakespeareDataset, tempDir } from './fixtures.js';

const full = vi.hoisted(() => ({ when: null as ((path: string) => boolean) | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const noSpace = (path: unknown): void => {
    if (full.when?.(String(path))) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  return {
    ...real,
    writeFile: async (path: Parameters<typeof real.writeFile>[0], ...rest: [never]) => (noSpace(path), real.writeFile(path, ...rest)),
  };
});

// safetensors files are written through a file descriptor (node:fs's openSync + writeSync); log rows
// are appended with node:fs's appendFileSync
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const noSpace = (path: unknown): void => {
    if (full.when?.(String(path))) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  const openSync = (path: Parameters<typeof real.openSync>[0], flags?: Parameters<typeof real.openSync>[1], ...rest: [never]) => {
    if (flags === 'w') noSpace(path);
    return real.openSync(path, flags ?? 'r', ...rest);
  };
  const appendFileSync = (path: Parameters<typeof real.appendFileSync>[0], ...rest: [never]) => (
    noSpace(path),
    real.appendFileSync(path, ...rest)
  );
  return { ...real, default: { ...real, openSync, appendFileSync }, openSync, appendFileSync };
});

let b: Backend;
let data: string;

beforeAll(async () => {
  b = await createTfjsBackend();
  data = await shakespeareDataset();
});
afterAll(() => b.close());

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  const base = { data, out, backend: b, steps: 6, batchSize: 2, seqLen: 16, warmup: 1, evalEvery: 100, evalWindows: 2, checkpointEvery: 2 };
  return { ...base, keepBest: false, peakFlopsPerSec: 1e10, ...extra };
}

describe('a full disk', () => {
  it('while writing a checkpoint: names the file, the checkpoint size, the free space and the last good checkpoint', async () => {
    const out = tempDir();
    full.when = (path) => path.includes('.step-00000004.') && path.endsWith('model.safetensors');
    try {
      await expect(trainFrom(randomInit('tiny'), options(out))).rejects.toThrow(
        new RegExp(
          `^no space left on device writing ${out}/checkpoints/step-00000004/model\\.safetensors \\(the checkpoint needs [\\d.]+ (KiB|MiB); [\\d.]+ (KiB|MiB) free there\\); ` +
            `free some space; the last good checkpoint is ${out}/checkpoints/step-00000002 \\(step 2\\)$`,
        ),
      );
    } finally {
      full.when = null;
    }
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['step-00000002']); // no temporary left
  });

  it('while appending a log row: names metrics.jsonl', async () => {
    const out = tempDir();
    let rows = 0;
    full.when = (path) => path.endsWith('metrics.jsonl') && ++rows > 3;
    try {
      await expect(trainFrom(randomInit('tiny'), options(out))).rejects.toThrow(
        new RegExp(
          `^no space left on device writing ${out}/metrics\\.jsonl \\(the row needs \\d+\\.\\d KiB; .* the last good checkpoint is .*step-00000002 \\(step 2\\)$`,
        ),
      );
    } finally {
      full.when = null;
    }
  });
});
