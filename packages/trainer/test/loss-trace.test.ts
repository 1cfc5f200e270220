// The fixed-seed loss trace against its record (loss-trace/loss-trace.json), on each backend, straight, resumed
// and with activation checkpointing: tfjs exactly, torch within a bound in float32 ulps (below). Not a convergence test.

import './loss-trace/pin-kernels.js'; // first: before anything loads libtorch
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { describeTorch } from '../../backend-torch/test/torch-ready.js';
import { shakespeareDataset, tempDir } from './fixtures.js';
import { readRecord, runTraceCase, TRACE_CASES, ulpDistance, type TraceStep } from './loss-trace/trace.js';

/**
 * How far torch's trace may lie from the record, in float32 ulps of each recorded loss and gradient norm.
 *
 * tfjs runs WebAssembly, whose float32 arithmetic is the same on every machine: its trace is compared
 * exactly. libtorch picks its kernels by CPU (ATen's default/AVX2/AVX-512 code, OpenBLAS's GEMM for the
 * core type), and another kernel sums the same float32 products in another order. Each reduction then
 * rounds differently, moving its result by about one ulp; losses and norms are such reductions. In these
 * short runs (20 steps at lr 3e-3) the difference stays at that size instead of compounding: measured with
 * loss-trace/spread.ts on ten kernel choices besides the pinned one (ATEN_CPU_CAPABILITY default and
 * avx512 with OPENBLAS_CORETYPE Haswell; avx2 with Zen, SkylakeX, Sandybridge, Prescott, Cooperlake;
 * avx512 with SkylakeX and Zen; default with Prescott), every step of every case stayed within 1.0 ulp
 * in loss and 1.7 ulp in gradient norm of the record. A change of numbers is two
 * orders larger: AdamW's eps 1e-8 -> 1e-7 moves the trace by 151-265 ulp in loss and 386-841 ulp in
 * gradient norm from the second step on. 16 ulp, about 2^-19 relative, sits a factor 9 from both.
 */
const TORCH_ULPS = 16;

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

/** tfjs: every step's loss and gradient norm equal; torch: within TORCH_ULPS of each. */
function expectOnRecord(backend: Backend, actual: TraceStep[], expected: TraceStep[]): void {
  expect(actual.length).toBe(expected.length);
  if (backend.engine.startsWith('tfjs')) expect(actual).toEqual(expected);
  else {
    const off = ulpDistance(actual, expected);
    expect(off.loss, 'largest loss difference, float32 ulps').toBeLessThanOrEqual(TORCH_ULPS);
    expect(off.gradNorm, 'largest gradient norm difference, float32 ulps').toBeLessThanOrEqual(TORCH_ULPS);
  }
}

function traceSuite(makeBackend: () => Promise<Backend>): void {
  let b: Backend;
  beforeAll(async () => {
    b = await makeBackend();
  });
  afterAll(() => b.close());

  for (const c of TRACE_CASES) {
    it(`${c.name}: every step's loss and gradient norm are on the record`, async () => {
      const expected = recorded(b, c.name);
      expect(expected.length).toBe(c.options.steps);
      expectOnRecord(b, await runTraceCase(c, data, tempDir(), b), expected);
    });
  }

  // activation checkpointing recomputes the same numbers: the same bits as the run without it, on the record
  it.each([
    ['tiny', 'blocks'],
    ['tiny-llama', 'every-2'],
  ] as const)('%s with --activation-checkpointing %s: the same trace as none, bit for bit, on the record', async (name, mode) => {
    const c = TRACE_CASES.find((t) => t.name === name)!;
    const out = tempDir();
    const checkpointed = await runTraceCase(c, data, out, b, { activationCheckpointing: mode });
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).activationCheckpointing).toBe(mode); // it took effect
    expect(checkpointed).toEqual(await runTraceCase(c, data, tempDir(), b));
    expectOnRecord(b, checkpointed, recorded(b, c.name));
  });

  it('tiny: stopped after 10 steps and resumed, the trace is still on the record', async () => {
    const c = TRACE_CASES[0]!;
    const out = tempDir();
    await runTraceCase(c, data, out, b, { stopAfter: 10 });
    expectOnRecord(b, await runTraceCase(c, data, out, b, { resume: true }), recorded(b, c.name));
  });

  it("tiny with AdamW's eps 1e-7 instead of 1e-8 is off the record: the comparison catches a change of numbers", async () => {
    const c = TRACE_CASES[0]!;
    const changed = await runTraceCase(c, data, tempDir(), b, { eps: 1e-7 });
    const off = ulpDistance(changed, recorded(b, c.name));
    expect(off.loss).toBeGreaterThan(TORCH_ULPS);
    expect(off.gradNorm).toBeGreaterThan(TORCH_ULPS);
  });
}

describe('loss trace on tfjs', () => traceSuite(() => createTfjsBackend()));
describeTorch('loss trace on torch', () => traceSuite(() => createTorchBackend({ device: 'cpu', threads: 1 })));
