// Example 3: the benchmark in miniature: does a 2x clone reach the random wide model's final
// accuracy sooner? Writes summary.json, report.md and report.html (with SVG plots).
// Run: npx tsx examples/03-compare-random-vs-clone.ts   (after example 1; STEPS=... per wide arm)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBackend } from '@hyperclone/cli';
import { compareCloneVsRandom, speedupRows } from '@hyperclone/bench';

const steps = Number(process.env['STEPS'] ?? 150);
const backend = await resolveBackend({ backend: 'auto' });

const result = await compareCloneVsRandom({
  data: 'runs/examples/stories-data',
  out: 'runs/examples/compare',
  backend,
  small: join('runs/examples/small', JSON.parse(readFileSync('runs/examples/small/summary.json', 'utf8')).checkpoint), // or a preset name
  width: 2,
  variants: ['noisy-symmetric'],
  seeds: 2,
  steps,
  batchSize: 16,
  seqLen: 128,
  lr: 1e-3,
  evalEvery: Math.max(1, Math.floor(steps / 6)),
  onRun: (label, i, n) => console.log(`[${i + 1}/${n}] ${label}`),
});

// Speedup = random arm's cost to its final accuracy / clone's cost to the same accuracy, counted every phase
// (the small model's training included) and with the small model free (the clone's own run only).
for (const how of ['everyPhase', 'smallFree'] as const) {
  console.log(how);
  for (const row of speedupRows(result, how)) console.log(row.join(' | '));
}
console.log('report: runs/examples/compare/report.html');
backend.close();
