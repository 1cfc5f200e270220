// trainFrom end to end on Tiny Shakespeare: exact resume, the run directory, targets, stops and cost accounting.
// Not the pinned numbers (loss-trace.test.ts) nor the CLI (packages/cli/test).

import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, Initializer, Logger } from '@hyperclone/core';
import { loadCheckpoint } from '@hyperclone/core';
import { randomInit } from '@hyperclone/init';
import { readRunConfig, SUMMARY_FIELDS, trainFrom, type StepEvent, type TrainOptions } from '../src/index.js';
import { readJsonl, tempDir, tfjsRuns } from './fixtures.js';

const runs = tfjsRuns();

/** A small, fast setting: 4 × 32 tokens a step, evaluation on 4 windows. */
function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return runs.options(out, { steps: 20, batchSize: 4, seqLen: 32, lr: 3e-3, warmup: 3, evalEvery: 5, evalWindows: 4, ...extra });
}

function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_: object, msg?: string) => void lines.push({ level, msg: msg ?? '' });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** 20 steps straight vs 10 + resume 10, with dropout and two micro-batches a step. */
async function resumeTrace(backend: Backend, extra: Partial<TrainOptions> = {}): Promise<void> {
  const straight = tempDir();
  const split = tempDir();
  const init = randomInit('tiny', { seed: 5 });
  const common = { backend, dropout: 0.1, gradAccum: 2, checkpointEvery: 4, batchSize: 2, seqLen: 16, evalEvery: 10, ...extra };
  await trainFrom(init, options(straight, common));
  const first = await trainFrom(init, options(split, { ...common, stopAfter: 10 }));
  expect(first.summary.stopReason).toBe('stop-after');
  expect(first.summary.steps).toBe(10);
  expect(first.checkpoint).toMatch(/step-00000010$/);
  const second = await trainFrom(init, options(split, { ...common, resume: true }));
  expect(second.summary.steps).toBe(20);
  expect(second.summary.tokens).toBe(20 * 2 * 2 * 16);

  const a = readJsonl<StepEvent>(join(straight, 'metrics.jsonl'));
  const c = readJsonl<StepEvent>(join(split, 'metrics.jsonl'));
  expect(c.map((r) => r.step)).toEqual(a.map((r) => r.step));
  for (let i = 10; i < 20; i++) {
    expect(c[i]!.loss).toBe(a[i]!.loss);
    expect(c[i]!.gradNorm).toBe(a[i]!.gradNorm);
    expect(c[i]!.lr).toBe(a[i]!.lr);
  }
  const wa = (await loadCheckpoint(join(straight, 'checkpoints/step-00000020'))).weights;
  const wc = (await loadCheckpoint(join(split, 'checkpoints/step-00000020'))).weights;
  for (const [name, t] of wa) expect(Buffer.from(wc.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
  // accounting carried across the resume
  expect(second.summary.trainSeconds).toBeGreaterThan(first.summary.trainSeconds);
  expect(second.summary.deviceHours).toBeGreaterThan(first.summary.deviceHours);
}

describe('trainFrom: exact resume', () => {
  it('tfjs: 20 steps straight and 10 + resume 10 give bit-identical losses and weights (with dropout)', async () => {
    await resumeTrace(runs.backend);
  });

  it('tfjs, epoch sampler (shuffled passes without replacement): the same bit-identical trace', async () => {
    await resumeTrace(runs.backend, { sampler: 'epoch' });
  });

  it('the epoch sampler is recorded in config.json and its cursor in the checkpoint', async () => {
    const out = tempDir();
    const { checkpoint } = await trainFrom(randomInit('tiny'), options(out, { steps: 3, sampler: 'epoch' }));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).sampler).toBe('epoch');
    const state = (await loadCheckpoint(checkpoint)).trainerState as { sampler?: { mode?: string } } | undefined;
    expect(JSON.stringify(state)).toContain('"mode":"epoch"');
  });

  it('a run records its paths relative to itself: copied with its data, it resumes in the new place', async () => {
    const root = tempDir();
    cpSync(runs.data, join(root, 'data'), { recursive: true });
    const out = join(root, 'runs', 'a');
    const local = { data: join(root, 'data'), steps: 6, evalEvery: 3 };
    await trainFrom(randomInit('tiny'), options(out, { ...local, stopAfter: 3, tasks: [] }));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect([config['data'], config['out']]).toEqual([join('..', '..', 'data'), '.']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { checkpoint: string };
    expect(summary.checkpoint).toBe(join('checkpoints', 'step-00000003'));
    const state = (await loadCheckpoint(join(out, summary.checkpoint))).trainerState as { data: { dir: string } };
    expect(state.data.dir).toBe(join('..', '..', '..', '..', 'data'));

    const moved = tempDir();
    cpSync(root, moved, { recursive: true });
    rmSync(root, { recursive: true });
    const movedOut = join(moved, 'runs', 'a');
    expect((await readRunConfig(movedOut)).data).toBe(join(moved, 'data'));
    const resumed = await trainFrom(randomInit('tiny'), options(movedOut, { ...local, data: join(moved, 'data'), resume: true }));
    expect(resumed.summary.steps).toBe(6);
    expect(resumed.runDir).toBe(movedOut);
  });

  it('torch: the same, on the libtorch backend', async () => {
    const { createTorchBackend, isTorchAvailable, torchUnavailableReason } = await import('@hyperclone/backend-torch');
    if (!isTorchAvailable()) throw new Error(`the torch backend is required for this test: ${torchUnavailableReason()}`);
    const torch = await createTorchBackend({ device: 'cpu', threads: 1 });
    try {
      await resumeTrace(torch);
    } finally {
      torch.close();
    }
  });

  it('resuming on another engine continues, with a warning that the trace is no longer bit-identical', async () => {
    const { createTorchBackend } = await import('@hyperclone/backend-torch');
    const torch = await createTorchBackend({ device: 'cpu', threads: 1 });
    const out = tempDir();
    try {
      await trainFrom(randomInit('tiny'), options(out, { steps: 4, stopAfter: 2 }));
      const log = recordingLogger();
      const resumed = await trainFrom(randomInit('tiny'), options(out, { steps: 4, resume: true, backend: torch, logger: log }));
      expect(resumed.summary.steps).toBe(4);
      expect(log.lines.some((l) => l.level === 'warn' && /started on tfjs-\w+ on libtorch .* will not be bit-identical/.test(l.msg))).toBe(
        true,
      );
    } finally {
      torch.close();
    }
  });

  it('the same seed gives the same first-step loss twice; another seed does not', async () => {
    const run = (seed: number) => trainFrom(randomInit('tiny', { seed }), options(tempDir(), { steps: 1, seed }));
    const loss = async (seed: number) => readJsonl<StepEvent>(join((await run(seed)).runDir, 'metrics.jsonl'))[0]!.loss;
    const [x, y, z] = [await loss(1), await loss(1), await loss(2)];
    expect(x).toBe(y);
    expect(z).not.toBe(x);
  });
});

describe('trainFrom: run directory', () => {
  it('writes config.json, metrics.jsonl, eval.jsonl, checkpoints (last K + best) and a summary.json with every field', async () => {
    const out = tempDir();
    const { summary, checkpoint, runDir } = await trainFrom(
      randomInit('tiny'),
      options(out, { steps: 12, checkpointEvery: 3, keepLast: 2, logEvery: 4 }),
    );
    for (const field of SUMMARY_FIELDS) expect(summary).toHaveProperty(field);
    const onDisk = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const field of SUMMARY_FIELDS) expect(onDisk).toHaveProperty(field);
    expect(onDisk['init']).toBe('random');
    expect(onDisk['backend']).toBe('tfjs');
    expect(onDisk['device']).toEqual(runs.backend.device);
    expect(onDisk['params']).toBe(124_736);
    expect(onDisk['tokens']).toBe(12 * 4 * 32);
    expect(onDisk['flops']).toBe(
      summary.tokens * (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { flopsPerToken: number }).flopsPerToken,
    );
    expect(onDisk['target']).toBeNull();
    expect(onDisk['reachedTarget']).toBeNull();
    expect(onDisk['mfu']).toBeGreaterThan(0);
    expect(summary.finalValLoss).toBeLessThan(5.6);

    const metrics = readJsonl<StepEvent>(join(out, 'metrics.jsonl'));
    expect(metrics.map((r) => r.step)).toEqual([4, 5, 8, 10, 12]); // every 4th, plus evaluation steps
    for (const key of ['step', 'tokens', 'loss', 'lr', 'gradNorm', 'tokensPerSec', 'deviceHours', 'mfu'])
      expect(metrics[0]).toHaveProperty(key);
    const evals = readJsonl<{ step: number; val: { loss: number; ppl: number; acc: number; tokens: number } }>(join(out, 'eval.jsonl'));
    expect(evals.map((e) => e.step)).toEqual([5, 10, 12]);
    expect(evals[0]!.val.tokens).toBe(4 * 32);
    expect(evals[0]!.val.ppl).toBeCloseTo(Math.exp(evals[0]!.val.loss), 6);

    // best is a link to its own best-N directory (swapped in one rename)
    const bestDir = readlinkSync(join(out, 'checkpoints/best'));
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['best', bestDir, 'step-00000009', 'step-00000012']);
    const best = await loadCheckpoint(join(out, 'checkpoints/best'));
    expect((best.trainerState as { bestValLoss: number }).bestValLoss).toBe(summary.bestValLoss);
    expect(checkpoint).toBe(join(out, 'checkpoints', 'step-00000012'));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ steps: 12, batchSize: 4, seqLen: 32, gradAccum: 1, warmup: 3, schedule: 'cosine', evalSeed: 1234 });
    expect(config['minLr']).toBeCloseTo(3e-4, 12);
    const state = JSON.parse(readFileSync(join(checkpoint, 'trainer-state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ step: 12, tokens: 12 * 128, data: { tokenizer: 'byte' } });
  });

  it('records the first evaluation that reaches a target accuracy and can stop there', async () => {
    const out = tempDir();
    const { summary } = await trainFrom(
      randomInit('tiny'),
      options(out, { steps: 40, evalEvery: 2, target: { metric: 'valAcc', value: 0.12 }, stopAtTarget: true }),
    );
    expect(summary.reachedTarget).toBe(true);
    expect(summary.stopReason).toBe('target');
    const evals = readJsonl<{ step: number; val: { acc: number }; reachedTarget: boolean; deviceHours: number }>(join(out, 'eval.jsonl'));
    const hit = evals.find((e) => e.val.acc >= 0.12)!;
    expect(summary.stepsToTarget).toBe(hit.step);
    expect(summary.steps).toBe(hit.step);
    expect(summary.tokensToTarget).toBe(hit.step * 128);
    expect(summary.deviceHoursToTarget).toBe(hit.deviceHours);
    expect(summary.flopsToTarget).toBeGreaterThan(0);
    expect(evals.filter((e) => e.reachedTarget)).toHaveLength(1);
  });

  it('scores downstream tasks at each evaluation, and stops at the first that reaches a task accuracy', async () => {
    const task = join(tempDir(), 'pick.jsonl');
    const items = ['First Citizen', 'ROMEO', 'JULIET', 'KING', 'Before we proceed', 'My lord'].map((query, i) => ({
      query,
      choices: ['and', 'the', 'of'],
      gold: i % 3,
    }));
    writeFileSync(task, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
    const o = { steps: 4, evalEvery: 1, tasks: [task] };
    const plain = await trainFrom(randomInit('tiny'), options(tempDir(), o));
    expect(plain.summary.tasks['pick']!.count).toBe(6);
    const scores = readJsonl<{ step: number; tasks: Record<string, { acc: number; accNorm: number }> }>(join(plain.runDir, 'eval.jsonl'));
    const accNorms = scores.map((e) => e.tasks['pick']!.accNorm);
    expect(accNorms).toHaveLength(4);
    for (const a of accNorms) expect(a * 6).toBeCloseTo(Math.round(a * 6), 9); // k of the 6 items
    const best = Math.max(...accNorms);
    const first = scores.find((e) => e.tasks['pick']!.accNorm >= best)!.step;
    // the same seed evaluates the same: aimed at the best score, the run stops at its first evaluation
    const aimed = await trainFrom(
      randomInit('tiny'),
      options(tempDir(), { ...o, target: { metric: 'pick.accNorm', value: best }, stopAtTarget: true }),
    );
    expect(aimed.summary).toMatchObject({ reachedTarget: true, stepsToTarget: first, steps: first, stopReason: 'target' });
    const above = await trainFrom(randomInit('tiny'), options(tempDir(), { ...o, target: { metric: 'pick.accNorm', value: best + 0.01 } }));
    expect(above.summary).toMatchObject({ reachedTarget: false, stepsToTarget: null, steps: 4 });
  });

  it('records a built-in task by name, not a path', async () => {
    const out = tempDir();
    const { summary } = await trainFrom(randomInit('tiny'), options(out, { steps: 2, tasks: ['arc-easy'], taskLimit: 4 }));
    expect(summary.tasks['arc-easy']!.count).toBe(4);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).tasks).toEqual(['arc-easy']);
  });

  it('a target that is not reached is reported as such', async () => {
    const { summary } = await trainFrom(randomInit('tiny'), options(tempDir(), { steps: 2, target: { metric: 'valLoss', value: 0.1 } }));
    expect(summary).toMatchObject({
      target: { metric: 'valLoss', value: 0.1 },
      reachedTarget: false,
      stepsToTarget: null,
      deviceHoursToTarget: null,
    });
  });
});

describe('trainFrom: stopping', () => {
  it('an abort finishes the step, saves a checkpoint, and resume continues from it', async () => {
    const out = tempDir();
    const controller = new AbortController();
    const stopped = await trainFrom(
      randomInit('tiny'),
      options(out, { signal: controller.signal, onStep: (e: StepEvent) => e.step === 3 && controller.abort() }),
    );
    expect(stopped.summary.stopReason).toBe('interrupted');
    expect(stopped.summary.steps).toBe(3);
    expect(existsSync(join(out, 'checkpoints/step-00000003/optimizer.safetensors'))).toBe(true);
    const resumed = await trainFrom(randomInit('tiny'), options(out, { resume: true, steps: 20 }));
    expect(resumed.summary).toMatchObject({ steps: 20, stopReason: 'completed' });
    expect(readJsonl<StepEvent>(join(out, 'metrics.jsonl')).map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('resume falls back to checkpoints/best when it is the newest checkpoint', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { steps: 10, stopAfter: 5 }));
    const { rmSync } = await import('node:fs');
    rmSync(join(out, 'checkpoints/step-00000005'), { recursive: true });
    const log = recordingLogger();
    const resumed = await trainFrom(randomInit('tiny'), options(out, { steps: 10, resume: true, logger: log }));
    expect(resumed.summary.steps).toBe(10);
    expect(log.lines.some((l) => l.msg === 'resuming at step 5')).toBe(true);
  });

  it('a non-finite loss stops with a clear error and keeps the last good checkpoint', async () => {
    const out = tempDir();
    const base = randomInit('tiny');
    let calls = 0;
    // poisons the weights on the second load: the resumed run's first step meets an infinite loss
    const poisoned: Initializer = {
      kind: 'random',
      load: async () => {
        const m = await base.load();
        if (calls++ > 0) m.weights.get('norm_f.weight')!.data.fill(Infinity);
        return m;
      },
    };
    await trainFrom(poisoned, options(out, { steps: 4 }));
    const again = tempDir();
    await expect(trainFrom(poisoned, options(again, { steps: 4 }))).rejects.toThrowError(
      /training diverged at step 1: loss NaN; stopped without applying the update, and no checkpoint was saved before it/,
    );
    expect(existsSync(join(out, 'checkpoints/step-00000004'))).toBe(true);
  });
});

describe('trainFrom: bad input', () => {
  it('a missing data directory fails before anything is written', async () => {
    const out = join(tempDir(), 'run');
    await expect(trainFrom(randomInit('tiny'), options(out, { data: '/nonexistent/data' }))).rejects.toThrowError(
      /no such dataset directory/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a task target needs its task file', async () => {
    const out = join(tempDir(), 'run');
    await expect(trainFrom(randomInit('tiny'), options(out, { target: { metric: 'arc_easy.acc', value: 0.3 } }))).rejects.toThrowError(
      /the target arc_easy.acc needs the task "arc_easy"; pass its JSONL file in tasks/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to overwrite a run, and refuses a resume with a changed trajectory', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { steps: 4, stopAfter: 2 }));
    await expect(trainFrom(randomInit('tiny'), options(out, { steps: 4 }))).rejects.toThrowError(/already holds a run; resume it/);
    await expect(trainFrom(randomInit('tiny'), options(out, { steps: 4, lr: 1e-2, resume: true }))).rejects.toThrowError(
      /cannot resume .*: these settings differ from the saved run: lr \(saved 0.003, now 0.01\); minLr/,
    );
  });

  it('refuses a corrupt checkpoint on resume, naming the file', async () => {
    const out = tempDir();
    await trainFrom(randomInit('tiny'), options(out, { steps: 4, stopAfter: 2 }));
    const weights = join(out, 'checkpoints/step-00000002/model.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 1000));
    await expect(trainFrom(randomInit('tiny'), options(out, { steps: 4, resume: true }))).rejects.toThrowError(
      /cannot resume .*: no checkpoint is usable: .*step-00000002 \(.*model\.safetensors/,
    );
  });

  it("a cloned run starts at its source's validation loss (step 0), logs symmetry, and warns that symmetry cannot break without dropout (not with an unequal split)", async () => {
    const { hyperclone } = await import('@hyperclone/init');
    const small = await trainFrom(randomInit('tiny'), options(tempDir(), { steps: 2 }));
    const log = recordingLogger();
    const out = tempDir();
    const wide = await trainFrom(
      hyperclone(small.checkpoint, { width: 2 }),
      options(out, { steps: 2, evalEvery: 1, evalAtStart: true, logger: log }),
    );
    expect(wide.summary.init).toBe('hyperclone');
    expect(log.lines.some((l) => l.level === 'warn' && /stay exact copies/.test(l.msg))).toBe(true);
    // LEMON's unequal split: the copies read their inputs in different shares, so they do not stay copies
    const splitLog = recordingLogger();
    await trainFrom(hyperclone(small.checkpoint, { width: 2, split: 0.7 }), options(tempDir(), { steps: 1, logger: splitLog }));
    expect(splitLog.lines.filter((l) => l.level === 'warn' && /stay exact copies/.test(l.msg))).toEqual([]);
    const evals = readJsonl<{ step: number; val: { loss: number }; symmetry: { mean: number } }>(join(out, 'eval.jsonl'));
    expect(evals.map((e) => e.step)).toEqual([0, 1, 2]);
    expect(evals[0]!.val.loss).toBeCloseTo(small.summary.finalValLoss!, 4);
    expect(evals[0]!.symmetry.mean).toBeCloseTo(1, 6);
    expect(readJsonl<StepEvent>(join(out, 'metrics.jsonl'))[0]!.symmetry).toBeCloseTo(1, 4);
  });
});
