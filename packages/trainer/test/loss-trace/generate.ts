// Writes loss-trace.json: the fixed-seed loss trace of every case on every backend this machine has.
// Not a test. Run it only when numbers are meant to change, and say why in the commit:
//   npx tsx --conditions=@hyperclone/source packages/trainer/test/loss-trace/generate.ts

import './pin-kernels.js'; // first: before anything loads libtorch
import { writeFileSync } from 'node:fs';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { createTorchBackend, isTorchAvailable } from '@hyperclone/backend-torch';
import type { Backend } from '@hyperclone/core';
import { shakespeareDataset, tempDir } from '../fixtures.js';
import { runTraceCase, TRACE_CASES, TRACE_FILE, type TraceRecord } from './trace.js';

const data = await shakespeareDataset();
const record: TraceRecord = { format: 'hyperclone-loss-trace', version: 1, engines: {} };
const backends: (() => Promise<Backend>)[] = [() => createTfjsBackend()];
if (isTorchAvailable()) backends.push(() => createTorchBackend({ device: 'cpu', threads: 1 }));
for (const make of backends) {
  const backend = await make();
  const cases: TraceRecord['engines'][string] = {};
  for (const c of TRACE_CASES) {
    cases[c.name] = await runTraceCase(c, data, tempDir('hc-trace-'), backend);
    process.stdout.write(`${backend.engine} ${c.name}: ${cases[c.name]!.length} steps, last loss ${cases[c.name]!.at(-1)!.loss}\n`);
  }
  record.engines[backend.engine] = cases;
  backend.close();
}
writeFileSync(TRACE_FILE, `${JSON.stringify(record, null, 1)}\n`);
process.stdout.write(`wrote ${TRACE_FILE}\n`);
