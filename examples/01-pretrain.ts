// Example 1: pre-train a small GPT from random init on the built-in story corpus.
// Run: npx tsx examples/01-pretrain.ts   (after `bash scripts/setup.sh`; STEPS=... to change the length)

import { existsSync } from 'node:fs';
import { resolveBackend } from '@hyperclone/cli';
import { prepareDataset } from '@hyperclone/data';
import { randomInit } from '@hyperclone/init';
import { trainFrom } from '@hyperclone/trainer';

const steps = Number(process.env['STEPS'] ?? 300);
const data = 'runs/examples/stories-data';

// 1. Tokenize a corpus into a token dataset directory (train.arrow, val.arrow, meta.json).
//    Any .txt/.jsonl/.parquet files or directories work here; builtin:stories needs no download.
if (!existsSync(data)) await prepareDataset({ inputs: ['builtin:stories'], tokenizer: 'byte', out: data });

// 2. Pick the fastest engine available: libtorch when its addon is built, else TensorFlow.js.
const backend = await resolveBackend({ backend: 'auto' });

// 3. Train the `tiny` preset; every run writes config.json, metrics.jsonl, eval.jsonl, summary.json
//    and checkpoints/ into its directory.
const small = await trainFrom(randomInit('tiny', { seed: 0, vocabSize: 257 }), {
  data,
  backend,
  out: 'runs/examples/small',
  steps,
  batchSize: 16,
  seqLen: 128,
  lr: 3e-3,
  evalEvery: Math.max(1, Math.floor(steps / 5)),
  onEval: (e) => console.log(`step ${e.step}: val loss ${e.val.loss.toFixed(3)}, acc ${e.val.acc.toFixed(3)}`),
});

console.log(`final checkpoint: ${small.checkpoint}`);
console.log(
  `cost: ${small.summary.tokens} tokens, ${small.summary.flops.toExponential(2)} FLOPs, ${small.summary.deviceHours.toExponential(2)} device-hours`,
);
backend.close();
