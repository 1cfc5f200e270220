// The training step replayed natively (stepReplay, on by default) against the eager step on torch (CPU):
// the same loss and gradient norm at every step and the same bits in the final weights and moments, with
// gradient accumulation and across a growth (recorded again for the grown model); eager where it must be
// (dropout) and when asked (off); a step that turns non-finite inside the replay stops the run as the eager
// one does. Not the engine's programs (backend-torch's step-programs.test.ts).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Logger } from '@hyperclone/core';
import { prepareDataset } from '@hyperclone/data';
import { createTorchBackend, type TorchBackend } from '@hyperclone/backend-torch';
import { randomInit } from '@hyperclone/init';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { trainFrom, type StepEvent, type TrainOptions } from '../src/index.js';
import { tempDir } from './fixtures.js';

/** A logger that keeps the step replay's debug events. */
function replayEvents(): { logger: Logger; events: Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = [];
  const none = () => {};
  return {
    events,
    logger: {
      debug: (obj: object) => {
        if ((obj as { event?: string }).event === 'step-replay') events.push(obj as Record<string, unknown>);
      },
      info: none,
      warn: none,
      error: none,
    },
  };
}

const rows = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StepEvent)
    .map(({ step, loss, gradNorm }) => ({ step, loss, gradNorm }));

/** Whether two runs' final checkpoints hold the same bytes: weights, then AdamW's moments. */
const sameCheckpoints = (a: string, b: string, step: number) => {
  const files = (dir: string) => join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
  return ['model.safetensors', 'optimizer.safetensors'].map((f) => readFileSync(join(files(a), f)).equals(readFileSync(join(files(b), f))));
};

describeTorch('the training step replayed natively', () => {
  let b: TorchBackend;
  let data: string;
  beforeAll(async () => {
    b = await createTorchBackend({ device: 'cpu', threads: 1 });
    data = join(tempDir('hc-replay-data-'), 'stories');
    await prepareDataset({ inputs: ['builtin:stories:1'], tokenizer: 'byte', out: data });
  });
  afterAll(() => b.close());

  const options = (out: string, extra: Partial<TrainOptions>): TrainOptions => ({
    data,
    out,
    backend: b,
    steps: 10,
    batchSize: 3,
    seqLen: 32,
    gradAccum: 2,
    lr: 3e-3,
    warmup: 3,
    evalEvery: 5,
    evalWindows: 2,
    seed: 11,
    peakFlopsPerSec: 1e10,
    ...extra,
  });

  async function race(extra: Partial<TrainOptions>) {
    const [on, off] = [tempDir(), tempDir()];
    const replayed = replayEvents();
    const eager = replayEvents();
    await trainFrom(randomInit('tiny', { seed: 2 }), options(on, { ...extra, logger: replayed.logger }));
    await trainFrom(randomInit('tiny', { seed: 2 }), options(off, { ...extra, stepReplay: 'off', logger: eager.logger }));
    return { on, off, replayed: replayed.events, eager: eager.events };
  }

  it('gives the eager step bit for bit: every loss and norm, the final weights and AdamW moments', async () => {
    const { on, off, replayed, eager } = await race({});
    expect(replayed).toHaveLength(1); // recorded once, at step 1; steps 2-10 replayed
    expect(replayed[0]!['shape']).toBe('2x3x32');
    expect(replayed[0]!['ops']).toBeGreaterThan(100);
    expect(eager).toEqual([]);
    const trace = rows(on);
    expect(trace).toHaveLength(10);
    expect(trace).toEqual(rows(off));
    expect(trace[9]!.loss).toBeLessThan(trace[0]!.loss);
    expect(sameCheckpoints(on, off, 10)).toEqual([true, true]);
  });

  it('records the grown model again after a growth, and still gives the eager bits', async () => {
    const { on, off, replayed } = await race({ growAt: [{ step: 4, width: 2, variant: 'noisy-symmetric' }] });
    expect(replayed.map((e) => e['ops'] !== undefined)).toEqual([true, true]); // before and after the growth
    expect(rows(on)).toEqual(rows(off));
    expect(sameCheckpoints(on, off, 10)).toEqual([true, true]);
  });

  it('stops a run that diverges inside a replayed step as the eager step does: same step, same message, same last checkpoint', async () => {
    // lr 300 blows the weights up until the loss is NaN at step 6, well after the step was recorded (step 1)
    const diverging = { steps: 12, gradAccum: 1, lr: 300, warmup: 0, logEvery: 4, checkpointEvery: 4, evalEvery: 100 };
    const [on, off] = [tempDir(), tempDir()];
    const [replayed, eager] = [replayEvents(), replayEvents()];
    const messages: string[] = [];
    for (const [out, extra] of [
      [on, { logger: replayed.logger }],
      [off, { stepReplay: 'off' as const, logger: eager.logger }],
    ] as const) {
      const run = trainFrom(randomInit('tiny', { seed: 2 }), options(out, { ...diverging, ...extra }));
      await expect(run).rejects.toThrowError(
        /^training diverged at step 6: loss NaN; stopped without applying the update or the 2 after it/,
      );
      messages.push(((await run.catch((e: unknown) => e)) as Error).message.replace(out, 'RUN'));
    }
    expect(replayed.events).toHaveLength(1); // recorded at step 1; the NaN came from a replayed step
    expect(replayed.events[0]!['ops']).toBeGreaterThan(40);
    expect(eager.events).toEqual([]);
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).toMatch(/the last good checkpoint is RUN.*step-00000004 \(step 4\)/);
    expect(rows(on)).toEqual(rows(off));
    expect(rows(on).map((r) => r.step)).toEqual([4]);
    expect(readdirSync(join(on, 'checkpoints'))).toEqual(['step-00000004']);
    expect(sameCheckpoints(on, off, 4)).toEqual([true, true]);
    expect(existsSync(join(on, 'summary.json'))).toBe(false);
  });

  it('runs eagerly where a step cannot be recorded (dropout), with the same results', async () => {
    const { on, off, replayed } = await race({ dropout: 0.1 });
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!['refusal']).toBe('dropout draws a new mask every step (its seed changes)');
    expect(rows(on)).toEqual(rows(off));
  });
});
