// The parts a run is made of, from the library: a metrics sink of one's own receives every event in order
// (and the JSONL files are made of the same rows), a data source of one's own trains and resumes exactly, and
// the model part hands out and takes back its weights and moments. Not the loop's numbers (loss-trace.test.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPreset, hostTensor } from '@hyperclone/core';
import { hyperclone, randomInit } from '@hyperclone/init';
import {
  ModelPart,
  planStages,
  trainFrom,
  type DataSource,
  type EvalEvent,
  type MetricsSink,
  type RunEvent,
  type StepEvent,
  type Summary,
  type TrainData,
  type TrainOptions,
} from '../src/index.js';
import { readJsonl, storiesDataset, tempDir, tfjsRuns } from './fixtures.js';

const runs = tfjsRuns(storiesDataset, 60_000);

function options(out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return runs.options(out, { steps: 4, batchSize: 2, seqLen: 16, lr: 2e-3, warmup: 1, evalWindows: 2, ...extra });
}

/** A sink that keeps every event (and whether it was closed). */
function recordingSink(): MetricsSink & { events: RunEvent[]; closed: number } {
  const sink = {
    events: [] as RunEvent[],
    closed: 0,
    write: (e: RunEvent) => void sink.events.push(e),
    close: () => void sink.closed++,
  };
  return sink;
}

describe('a metrics sink of ones own', () => {
  it('receives the start, every row, task scores, symmetry, the growth, each checkpoint and the summary, in order', async () => {
    const out = tempDir();
    const task = join(tempDir(), 'pick.jsonl');
    const items = [
      { query: 'Once upon a', choices: ['time', 'dog'], gold: 0 },
      { query: 'The cat sat on the', choices: ['mat', 'sky'], gold: 0 },
    ];
    writeFileSync(task, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
    const sink = recordingSink();
    const init = hyperclone(randomInit('tiny', { seed: 1 }), { width: 2, variant: 'noisy-symmetric' });
    const { summary } = await trainFrom(
      init,
      options(out, { evalEvery: 2, checkpointEvery: 2, tasks: [task], growAt: [{ step: 2, depth: 2 }], sinks: [sink] }),
    );
    const kinds = sink.events.map((e) => (e.kind === 'checkpoint' ? `checkpoint:${e.reason}` : e.kind));
    expect(kinds).toEqual([
      'start',
      'step',
      ...['eval', 'tasks', 'symmetry', 'step', 'checkpoint:best', 'checkpoint:periodic'],
      'grow',
      'step',
      ...['eval', 'tasks', 'symmetry', 'step', 'checkpoint:best', 'checkpoint:periodic'],
      'summary',
    ]);
    expect(sink.closed).toBe(1);
    const of = <K extends RunEvent['kind']>(kind: K) => sink.events.filter((e): e is Extract<RunEvent, { kind: K }> => e.kind === kind);
    // the JSONL files hold the same rows: they are the first sink
    expect(of('step').map((e) => e.row)).toEqual(readJsonl<StepEvent>(join(out, 'metrics.jsonl')));
    expect(of('eval').map((e) => e.row)).toEqual(readJsonl<EvalEvent>(join(out, 'eval.jsonl')));
    expect(of('tasks').map((e) => Object.keys(e.tasks))).toEqual([['pick'], ['pick']]);
    expect(of('symmetry').map((e) => e.step)).toEqual([2, 4]);
    const [start] = of('start');
    expect(start!.config.model.dModel).toBe(128);
    expect(start!.config.init.growth).toMatchObject({ width: 2, variant: 'noisy-symmetric' });
    const [grow] = of('grow');
    expect(grow).toMatchObject({ stage: 1, afterStep: 2, nLayer: 4, growth: { width: 1, depth: 2 } });
    expect(grow!.growth).toEqual(start!.config.stages[1]!.growth);
    expect(of('summary')[0]!.summary).toEqual(summary);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary).toEqual(summary);
  });
});

/** Tokens 0..V-1 in a fixed pseudo-random order, windows drawn in turn: a cursor is one number. */
function memorySource(vocabSize: number): DataSource & { opened: number } {
  const tokens = Int32Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3)) % vocabSize);
  const source = {
    opened: 0,
    info: { tokenizer: 'byte', tokenizerSha256: null, vocabSize, eotId: vocabSize - 1, trainTokens: 3072, valTokens: 1024 },
    dir: null,
    open(o: { batchSize: number; seqLen: number }): TrainData {
      source.opened++;
      let cursor = 0;
      const window = (start: number) => ({
        inputs: tokens.slice(start, start + o.seqLen),
        targets: tokens.slice(start + 1, start + o.seqLen + 1),
      });
      return {
        nextBatch: () => {
          const rows = Array.from({ length: o.batchSize }, () => window((cursor++ * o.seqLen) % 3000));
          return {
            inputs: Int32Array.from(rows.flatMap((r) => [...r.inputs])),
            targets: Int32Array.from(rows.flatMap((r) => [...r.targets])),
          };
        },
        evalSet: [window(3072), window(3200)],
        tokenizer: () => Promise.reject(new Error('no tokenizer')),
        stateDict: () => ({ cursor }),
        loadStateDict: (state) => void (cursor = (state as { cursor: number }).cursor),
      };
    },
    close: () => undefined,
  };
  return source;
}

describe('a data source of ones own', () => {
  it('trains, records its cursor in every checkpoint, and resumes exactly', async () => {
    const source = memorySource(257);
    const straight = tempDir();
    const split = tempDir();
    const o = (out: string, extra: Partial<TrainOptions> = {}) =>
      options(out, { data: 'memory:ordered', dataSource: source, steps: 6, dropout: 0.1, evalEvery: 3, ...extra });
    await trainFrom(randomInit('tiny', { seed: 2 }), o(straight));
    await trainFrom(randomInit('tiny', { seed: 2 }), o(split, { stopAfter: 3 }));
    const state = JSON.parse(readFileSync(join(split, 'checkpoints/step-00000003/trainer-state.json'), 'utf8'));
    expect(state.sampler).toEqual({ cursor: 6 }); // 3 steps of 2 rows
    await trainFrom(randomInit('tiny', { seed: 2 }), o(split, { resume: true }));
    const trace = (dir: string) => readJsonl<StepEvent>(join(dir, 'metrics.jsonl')).map((r) => [r.step, r.loss, r.gradNorm]);
    expect(trace(split)).toEqual(trace(straight));
    expect(source.opened).toBe(3);
    const config = JSON.parse(readFileSync(join(split, 'config.json'), 'utf8'));
    expect(config.dataset).toMatchObject({ vocabSize: 257, trainTokens: 3072 });
  });
});

describe('the model part', () => {
  it('hands out its weights and moments and takes them back (Stateful)', async () => {
    const tiny = getPreset('tiny');
    const stages = planStages(tiny, [], { seed: 0, steps: 2, seqLen: 8, warmup: 0 });
    const make = async (seed: number) =>
      new ModelPart(runs.backend, {
        stages,
        stage: 0,
        weights: (await randomInit('tiny', { seed }).load()).weights,
        adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
        shape: { batchSize: 1, seqLen: 8, gradClip: 1 },
        initClone: null,
      });
    const a = await make(1);
    const tokens = Int32Array.from({ length: 8 }, (_, i) => i + 3);
    a.trainStep(1, [{ inputs: tokens, targets: tokens.map((t) => t + 1) }], [0], 1e-3);
    expect(a.settle()!.loss).toBeGreaterThan(0);
    const saved = a.stateDict();
    const c = await make(2);
    c.loadStateDict(saved, 'a');
    const again = c.stateDict();
    for (const [name, t] of [...saved.weights, ...saved.optimizer])
      expect(
        Buffer.from(t.data.buffer).equals(Buffer.from((again.weights.get(name) ?? again.optimizer.get(name))!.data.buffer)),
        name,
      ).toBe(true);
    expect(() => c.loadStateDict({ optimizer: new Map([['step', hostTensor([1], Float32Array.of(1))]]) }, 'elsewhere')).toThrow(
      /optimizer state in elsewhere has no "m\.tok_emb\.weight"/,
    );
    a.dispose();
    c.dispose();
  });
});
