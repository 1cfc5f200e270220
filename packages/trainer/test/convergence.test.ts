// Training on real text: the `tiny` preset on Tiny Shakespeare (byte tokenizer) must get below
// 2.5 nats of validation loss (the bigram conditional entropy of the text is 2.45, unigram 3.31).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { randomInit } from '@hyperclone/init';
import { trainFrom } from '../src/index.js';
import { shakespeareDataset, tempDir } from './fixtures.js';

let b: Backend;
let data: string;

beforeAll(async () => {
  b = await createTfjsBackend();
  data = await shakespeareDataset();
});
afterAll(() => b.close());

describe('training on Tiny Shakespeare', () => {
  it('tiny reaches a validation loss below 2.5 nats within a few hundred steps on tfjs', async () => {
    const { summary } = await trainFrom(randomInit('tiny', { seed: 0 }), {
      data,
      out: tempDir(),
      backend: b,
      steps: 250,
      batchSize: 64,
      seqLen: 16,
      lr: 3e-3,
      warmup: 10,
      evalEvery: 50,
      evalWindows: 128,
      target: { metric: 'valLoss', value: 2.5 },
    });
    expect(summary.steps).toBe(250);
    expect(summary.finalValLoss).toBeLessThan(2.5);
    expect(summary.reachedTarget).toBe(true);
    expect(summary.mfu).toBeGreaterThan(0);
    expect(summary.peakSource).toMatch(/^measured fp32 matmul peak of tfjs-/);
    process.stdout.write(
      `tiny on Tiny Shakespeare, ${b.engine}: val loss ${summary.finalValLoss!.toFixed(3)} after ${summary.tokens} tokens, ${Math.round(summary.tokensPerSec!)} tokens/s, MFU ${(100 * summary.mfu!).toFixed(1)}% (${summary.peakSource})\n`,
    );
  });
});
