// A non-finite step stops the run on every backend with the step named and nothing saved after the last
// good checkpoint: on torch the check waits on the device until the next logged or saved step, on tfjs it
// is immediate. Not the guard's ops themselves (backend-torch's multi-tensor-ops.test.ts).

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { randomInit } from '@hyperclone/init';
import { trainFrom, type StepEvent, type TrainOptions } from '../src/index.js';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { readJsonl, shakespeareDataset, tempDir } from './fixtures.js';

let data: string;
beforeAll(async () => {
  data = await shakespeareDataset();
});

/** The backend with the loss and gradients of its `at`-th valueAndGrad call (1-based) turned to NaN. */
function poisonedAt(b: Backend, at: number): Backend {
  let calls = 0;
  return {
    ...b,
    valueAndGrad(f, xs) {
      const r = b.valueAndGrad(f, xs);
      if (++calls !== at) return r;
      const nan = b.scalar(NaN);
      return { value: b.mul(r.value, nan), grads: r.grads.map((g) => b.mul(g, nan)) };
    },
  } as Backend;
}

const loggedSteps = (out: string): number[] => readJsonl<StepEvent>(join(out, 'metrics.jsonl')).map((r) => r.step);

function suite(makeBackend: () => Promise<Backend>, deferred: boolean): void {
  let b: Backend;
  beforeAll(async () => {
    b = await makeBackend();
  });
  afterAll(() => b.close());

  /** trainFrom of tiny (seed 5) on 2 x 16 tokens a step, the `at`-th valueAndGrad poisoned, never evaluated (evalEvery 100). */
  const poisonedRun = (out: string, at: number, settings: Partial<TrainOptions>) =>
    trainFrom(randomInit('tiny', { seed: 5 }), {
      data,
      out,
      backend: poisonedAt(b, at),
      stepReplay: 'off', // the poison wraps JavaScript's valueAndGrad, which a replayed step no longer calls
      batchSize: 2,
      seqLen: 16,
      evalEvery: 100,
      evalWindows: 2,
      peakFlopsPerSec: 1e10,
      ...settings,
    });

  it('a NaN at step 6 stops the run naming step 6; nothing after the step-4 checkpoint is written', async () => {
    const out = tempDir();
    const run = poisonedRun(out, 6, { steps: 12, lr: 3e-3, logEvery: 4, checkpointEvery: 4 });
    const later = deferred ? ' or the 2 after it \\(read back at step 8; the device skipped those updates\\)' : '';
    await expect(run).rejects.toThrowError(
      new RegExp(
        `^training diverged at step 6: loss NaN; stopped without applying the update${later}, and the last good checkpoint is .*step-00000004 \\(step 4\\)`,
      ),
    );
    expect(loggedSteps(out)).toEqual([4]);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['step-00000004']);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
  });

  it('logged every step, the run stops at the poisoned step itself', async () => {
    const out = tempDir();
    const run = poisonedRun(out, 3, { steps: 6 });
    await expect(run).rejects.toThrowError(
      /^training diverged at step 3: loss NaN; stopped without applying the update, and no checkpoint was saved before it/,
    );
    expect(loggedSteps(out)).toEqual([1, 2]);
  });
}

describe('divergence on tfjs (checked on the host at once)', () => suite(() => createTfjsBackend(), false));
describeTorch('divergence on torch (checked on the device, read back at logged steps)', () =>
  suite(() => createTorchBackend({ device: 'cpu', threads: 1 }), true),
);
