// The fixed-seed loss trace against its record (loss-trace/loss-trace.json): every step's loss and
// gradient norm exactly equal, on each backend, straight and resumed. Not a convergence test.

import './loss-trace/pin-kernels.js'; // first: before anything loads libtorch
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { shakespeareDataset, tempDir } from './fixtures.js';
import { readRecord, runTraceCase, TRACE_CASES, type TraceStep } from './loss-trace/trace.js';

const record = readRecord();
let data: string;
beforeAll(async () => {
  data = await shakespeareDataset();
});

function recorded(backend: Backend, name: string): TraceStep[] {
  const cases = record.engines[backend.engine];
  if (!cases) {
    throw new Error(
      `no loss trace is recorded for ${backend.engine} (recorded: ${Object.keys(record.engines).join(', ')}); regenerate with loss-trace/generate.ts`,
    );
  }
  return cases[name]!;
}

function traceSuite(makeBackend: () => Promise<Backend>): void {
  let b: Backend;
  beforeAll(async () => {
    b = await makeBackend();
  });
  afterAll(() => b.close());

  for (const c of TRACE_CASES) {
    it(`${c.name}: every step's loss and gradient norm equal the record exactly`, async () => {
      const expected = recorded(b, c.name);
      expect(expected.length).toBe(c.options.steps);
      expect(await runTraceCase(c, data, tempDir(), b)).toEqual(expected);
    });
  }

  it('tiny: stopped after 10 steps and resumed, the trace still equals the record', async () => {
    const c = TRACE_CASES[0]!;
    const out = tempDir();
    await runTraceCase(c, data, out, b, { stopAfter: 10 });
    expect(await runTraceCase(c, data, out, b, { resume: true })).toEqual(recorded(b, c.name));
  });
}

describe('loss trace on tfjs', () => traceSuite(() => createTfjsBackend()));
describeTorch('loss trace on torch', () => traceSuite(() => createTorchBackend({ device: 'cpu', threads: 1 })));
