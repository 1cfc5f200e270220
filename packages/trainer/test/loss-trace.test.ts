// The fixed-seed loss trace against its record (loss-trace/loss-trace.json): every step's loss and
// gradient norm exactly equal, on each backend, straight, resumed and with activation checkpointing. Not a convergence test.

import './loss-trace/pin-kernels.js'; // first: before anything loads libtorch
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  // activation checkpointing recomputes the same numbers: the record of the run without it holds
  it.each([
    ['tiny', 'blocks'],
    ['tiny-llama', 'every-2'],
  ] as const)('%s with --activation-checkpointing %s: the trace equals the record exactly', async (name, mode) => {
    const c = TRACE_CASES.find((t) => t.name === name)!;
    const out = tempDir();
    expect(await runTraceCase(c, data, out, b, { activationCheckpointing: mode })).toEqual(recorded(b, c.name));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).activationCheckpointing).toBe(mode); // it took effect
  });

  it('tiny: stopped after 10 steps and resumed, the trace still equals the record', async () => {
    const c = TRACE_CASES[0]!;
    const out = tempDir();
    await runTraceCase(c, data, out, b, { stopAfter: 10 });
    expect(await runTraceCase(c, data, out, b, { resume: true })).toEqual(recorded(b, c.name));
  });
}

describe('loss trace on tfjs', () => traceSuite(() => createTfjsBackend()));
describeTorch('loss trace on torch', () => traceSuite(() => createTorchBackend({ device: 'cpu', threads: 1 })));
