// Example 2: grow the small model of example 1 to twice its width with HyperCloning, check that the
// clone computes the same function, then keep training the wide model.
// Run: npx tsx examples/02-hyperclone-and-continue.ts   (after example 1)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBackend } from '@hyperclone/cli';
import { hyperclone } from '@hyperclone/init';
import { evaluateCheckpoint, trainFrom } from '@hyperclone/trainer';

const steps = Number(process.env['STEPS'] ?? 200);
const data = 'runs/examples/stories-data';
// The small run's final checkpoint, as recorded in its summary.json (relative to the run directory).
const small = join('runs/examples/small', JSON.parse(readFileSync('runs/examples/small/summary.json', 'utf8')).checkpoint);
const backend = await resolveBackend({ backend: 'auto' });

// The clone: 2x hidden width and heads, 2x FFN, with paired noise (10 dB) so the copies can diverge.
const clone = hyperclone(small, { width: 2, variant: 'noisy-symmetric', seed: 0 });

// Function preservation: the wide model starts at the small model's validation loss.
const before = await evaluateCheckpoint(small, { data, backend });
console.log(`small model: val loss ${before.val.loss.toFixed(5)}`);

const wide = await trainFrom(clone, {
  data,
  backend,
  out: 'runs/examples/wide',
  steps,
  batchSize: 16,
  seqLen: 128,
  lr: 1e-3,
  warmup: 20, // re-warm the learning rate after cloning (AdamW moments start at zero)
  evalAtStart: true, // eval.jsonl starts with the clone's own loss at step 0
  evalEvery: Math.max(1, Math.floor(steps / 5)),
  onEval: (e) => console.log(`step ${e.step}: val loss ${e.val.loss.toFixed(5)}, symmetry ${e.symmetry?.mean?.toFixed(4) ?? 'n/a'}`),
});

console.log(`wide model: ${wide.summary.params} parameters, final val loss ${wide.summary.finalValLoss?.toFixed(4)}`);
backend.close();
