// trainFrom's TensorBoard event files (tensorboard option), read back by the test's own reader
// (tensorboard-reader.ts): every CRC, the scalars against metrics.jsonl and eval.jsonl row for row
// across a stop, a crash and two resumes, the HParams session and text records, the refusals, and the
// sink on its own (events before the start, a close without a summary).
// Not TensorBoard itself (no TensorBoard runs here) and not the loop's numbers (train-from.test.ts).

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockDir } from '@hyperclone/core';
import { randomInit } from '@hyperclone/init';
import {
  TensorBoardSink,
  trainFrom,
  type EvalEvent,
  type RunConfig,
  type RunEvent,
  type StepEvent,
  type TrainOptions,
} from '../src/index.js';
import { storiesDataset, tempDir, tfjsRuns } from './fixtures.js';
import { crc32cOf, decodeEvent, decodeHParams, readRecordFile, type DecodedEvent } from './tensorboard-reader.js';

const runs = tfjsRuns(storiesDataset);

const options = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions =>
  runs.options(out, {
    steps: 8,
    batchSize: 2,
    seqLen: 16,
    lr: 3e-3,
    warmup: 2,
    evalEvery: 2,
    evalWindows: 2,
    tensorboard: join(out, 'tensorboard'),
    ...extra,
  });

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

/** Every event of every file in the folder, files in name order (as TensorBoard reads them). */
function readFolder(dir: string): { files: string[]; events: DecodedEvent[][] } {
  const files = readdirSync(dir)
    .filter((n) => n.includes('tfevents'))
    .sort();
  const events = files.map((name) => {
    const check = readRecordFile(join(dir, name));
    expect(check.trailing, `${name}: bytes after the last whole record`).toBe(0);
    for (const [stored, computed] of check.crcs) expect(stored).toBe(computed);
    return check.records.map(decodeEvent);
  });
  return { files, events };
}

/** tag -> [step, value] in reading order. */
function scalars(events: DecodedEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events)
    for (const v of e.values ?? []) {
      if (v.simpleValue === undefined) continue;
      const list = out.get(v.tag) ?? [];
      list.push([e.step, v.simpleValue]);
      out.set(v.tag, list);
    }
  return out;
}

const STEP_FIELDS = ['loss', 'lr', 'gradNorm', 'tokensPerSec', 'mfu', 'deviceHours', 'stepSeconds', 'symmetry', 'stage'] as const;

describe('the reader of these tests', () => {
  it('computes the published CRC-32C check value and TensorFlow masking', () => {
    expect(crc32cOf(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32cOf(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });
});

describe('trainFrom with a TensorBoard folder', () => {
  let out: string;
  let folder: { files: string[]; events: DecodedEvent[][] };
  let warnings: string[];

  beforeAll(async () => {
    out = join(tempDir('hc-tb-'), 'run');
    warnings = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      error: () => {},
    };
    const init = randomInit('tiny', { seed: 3, vocabSize: 257 });
    // 1: three steps, then a stop (a checkpoint at step 3)
    await trainFrom(init, options(out, { stopAfter: 3 }));
    // 2: resumed; a checkpoint at step 4, then a crash after step 5 was logged
    await expect(
      trainFrom(init, {
        ...options(out, { resume: true, checkpointEvery: 4 }),
        onStep: (row) => {
          if (row.step === 5) throw new Error('crash after step 5');
        },
      }),
    ).rejects.toThrow('crash after step 5');
    // the crash tore the last record of the newest file
    const dir = join(out, 'tensorboard');
    const newest = readdirSync(dir).sort().at(-1)!;
    appendFileSync(join(dir, newest), Buffer.from([40, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
    // 3: resumed from step 4 to the end
    await trainFrom(init, { ...options(out, { resume: true, checkpointEvery: 4 }), logger });
    folder = readFolder(dir);
  }, 120_000);

  it('writes a new file per invocation, each opening with the file version; every CRC checks', () => {
    expect(folder.files).toHaveLength(3);
    for (const events of folder.events) {
      expect(events[0]!.fileVersion).toBe('brain.Event:2');
      expect(events[0]!.writer).toBe('hyperclone');
    }
  });

  it("has metrics.jsonl's rows as train/<field> scalars, row for row, with no step twice (the crash's step 5 once)", () => {
    const rows = readJsonl<StepEvent>(join(out, 'metrics.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const got = scalars(folder.events.flat());
    for (const field of STEP_FIELDS) {
      const expected = rows.filter((r) => typeof r[field] === 'number').map((r) => [r.step, Math.fround(r[field] as number)]);
      expect(got.get(`train/${field}`) ?? [], field).toEqual(expected);
    }
    expect(got.get('train/loss')).toHaveLength(8);
  });

  it("has eval.jsonl's rows as val/loss, val/ppl and val/acc, row for row", () => {
    const rows = readJsonl<EvalEvent>(join(out, 'eval.jsonl'));
    expect(rows.map((r) => r.step)).toEqual([2, 4, 6, 8]);
    const got = scalars(folder.events.flat());
    for (const key of ['loss', 'ppl', 'acc'] as const)
      expect(got.get(`val/${key}`)).toEqual(rows.map((r) => [r.step, Math.fround(r.val[key])]));
  });

  it('marks each resume with a session START at the step after its checkpoint, and each checkpoint with its path', () => {
    const starts = folder.events.map((events) => events.find((e) => e.sessionLog?.status === 1)?.step ?? null);
    expect(starts).toEqual([null, 4, 5]);
    const checkpoints = folder.events.flat().filter((e) => e.sessionLog?.status === 3);
    expect(checkpoints.map((e) => [e.step, e.sessionLog!.msg])).toEqual([
      [2, 'best'],
      [3, 'stop'],
      [4, 'best'],
      [4, 'periodic'],
      [6, 'best'],
      [8, 'best'],
      [8, 'periodic'],
    ]);
    expect(checkpoints[1]!.sessionLog!.checkpointPath).toBe(join(out, 'checkpoints', 'step-00000003'));
  });

  it('drops what the crashed invocation logged after its checkpoint, and says so for the torn record', () => {
    const crashed = folder.events[1]!;
    expect(Math.max(...crashed.map((e) => e.step))).toBe(4);
    expect(warnings.some((w) => /: dropped a torn record header at byte \d+$/.test(w))).toBe(true);
  });

  it("records the HParams session: the options at the start, the end's status per invocation", () => {
    const hparams = folder.events
      .flat()
      .flatMap((e) => (e.values ?? []).filter((v) => v.pluginName === 'hparams').map((v) => ({ step: e.step, tag: v.tag, v })));
    const start = hparams.filter((h) => h.tag === '_hparams_/session_start_info');
    expect(start).toHaveLength(1);
    const record = decodeHParams(start[0]!.v.pluginContent!);
    expect(record.version).toBe(0);
    expect(record.start!.hparams).toMatchObject({ lr: 3e-3, steps: 8, batchSize: 2, seqLen: 16, schedule: 'cosine', init: 'random' });
    expect(record.start!.hparams['model.dModel']).toBeTypeOf('number');
    expect(record.start!.hparams['data']).toBeUndefined();
    expect(start[0]!.v.dataClass).toBe(2);
    expect(start[0]!.v.tensorFloats).toEqual([0]);
    // stop-after: still running (resumable); the crash was truncated away with step 5; the end: success
    const ends = hparams
      .filter((h) => h.tag === '_hparams_/session_end_info')
      .map((h) => [h.step, decodeHParams(h.v.pluginContent!).end!.status]);
    expect(ends).toEqual([
      [3, 3],
      [8, 1],
    ]);
  });

  it("writes the config at step 0, each invocation's summary at its end, and a sample of text at each evaluation", () => {
    const texts = folder.events
      .flat()
      .flatMap((e) => (e.values ?? []).filter((v) => v.pluginName === 'text').map((v) => ({ step: e.step, tag: v.tag, v })));
    for (const t of texts) expect(t.v.tensorDtype).toBe(7);
    const steps = (tag: string) => texts.filter((t) => t.tag === tag).map((t) => t.step);
    expect(steps('config')).toEqual([0]);
    expect(steps('summary')).toEqual([3, 8]);
    expect(steps('samples')).toEqual([2, 4, 6, 8]);
    const block = (tag: string, at: number) => texts.find((t) => t.tag === tag && t.step === at)!.v.tensorStrings![0]!;
    const unindent = (s: string) => s.replace(/^ {4}/gm, '');
    expect((JSON.parse(unindent(block('config', 0))) as { steps: number }).steps).toBe(8);
    expect(JSON.parse(unindent(block('summary', 8)))).toMatchObject({ steps: 8, stopReason: 'completed' });
    // a code block of what the byte-level model wrote (64 tokens at most: a character each, or a U+FFFD for a stray byte)
    const sample = block('samples', 8);
    expect(sample.split('\n').every((line) => line.startsWith('    '))).toBe(true);
    expect([...unindent(sample)].length).toBeLessThanOrEqual(64);
    expect(texts.filter((t) => t.tag === 'samples').some((t) => unindent(t.v.tensorStrings![0]!).trim().length > 0)).toBe(true);
  });

  it('records the folder in config.json relative to the run', () => {
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).tensorboard).toBe('tensorboard');
  });
});

describe('a TensorBoard folder another run writes', () => {
  it("refuses one that holds another run's event files, before writing anything", async () => {
    const root = tempDir('hc-tb-');
    const shared = join(root, 'tb');
    mkdirSync(shared);
    writeFileSync(join(shared, 'events.out.tfevents.1700000000.host.1.0'), '');
    const out = join(root, 'run');
    await expect(trainFrom(randomInit('tiny', { vocabSize: 257 }), options(out, { tensorboard: shared }))).rejects.toThrow(
      `--tensorboard ${shared} already holds another run's TensorBoard event files; give each run its own folder (e.g. RUN/tensorboard)`,
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(shared)).toEqual(['events.out.tfevents.1700000000.host.1.0']);
  });

  it('refuses one that a live process writes, naming it', async () => {
    const root = tempDir('hc-tb-');
    const held = lockDir(join(root, 'tb'), { command: 'train' });
    try {
      await expect(
        trainFrom(randomInit('tiny', { vocabSize: 257 }), options(join(root, 'run'), { tensorboard: join(root, 'tb') })),
      ).rejects.toThrow(new RegExp(`^--tensorboard ${join(root, 'tb')} is in use by PID ${process.pid}`));
      expect(existsSync(join(root, 'run'))).toBe(false);
    } finally {
      held.release();
    }
  });
});

describe('TensorBoardSink as a metrics sink on its own', () => {
  const start = (runDir: string): RunEvent => ({
    kind: 'start',
    runDir,
    totalSteps: 10,
    resumedFromStep: null,
    config: { lr: 0.01, steps: 10, model: { dModel: 8 } } as unknown as RunConfig,
  });
  const step = (n: number, loss: number): RunEvent => ({
    kind: 'step',
    row: {
      step: n,
      totalSteps: 10,
      tokens: 32 * n,
      loss,
      lr: 0.01,
      gradNorm: 1.5,
      tokensPerSec: 100,
      mfu: null,
      deviceHours: 0,
      stepSeconds: 0.1,
    },
  });

  it('refuses an event before the start event', async () => {
    const sink = new TensorBoardSink(join(tempDir('hc-tb-sink-'), 'tb'), { sample: null, onTorn: () => {} });
    await expect(sink.write(step(1, 2))).rejects.toThrow('TensorBoardSink: a step event before the start event');
  });

  it('closed without a summary (the run failed), ends the HParams session as a failure at the last step it recorded', async () => {
    const dir = join(tempDir('hc-tb-sink-'), 'tb');
    const sink = new TensorBoardSink(dir, { sample: (n) => `sample at ${n}`, onTorn: () => {} });
    await sink.write(start('/runs/a'));
    await sink.write(step(1, 2.5));
    await sink.write(step(2, 2.25));
    sink.close();
    sink.close(); // a second close writes nothing more
    const { files, events } = readFolder(dir);
    expect(files).toHaveLength(1);
    const got = scalars(events[0]!);
    expect(got.get('train/loss')).toEqual([
      [1, 2.5],
      [2, 2.25],
    ]);
    expect(got.get('train/mfu')).toBeUndefined(); // null in the row: left out
    const ends = events[0]!.flatMap((e) =>
      (e.values ?? [])
        .filter((v) => v.tag === '_hparams_/session_end_info')
        .map((v) => [e.step, decodeHParams(v.pluginContent!).end!.status]),
    );
    expect(ends).toEqual([[2, 2]]); // HParams' Status FAILURE
  });
});
