// Example 4: load a checkpoint and sample text from it.
// Run: npx tsx examples/04-sample.ts [CHECKPOINT]   (default: the wide model of example 2)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBackend } from '@hyperclone/cli';
import { disposeParams, generate, loadCheckpoint, uploadParams } from '@hyperclone/core';
import { loadTokenizer } from '@hyperclone/data';

// summary.json records the last checkpoint relative to the run directory
const dir: string =
  process.argv[2] ?? join('runs/examples/wide', JSON.parse(readFileSync('runs/examples/wide/summary.json', 'utf8')).checkpoint);
const ckpt = await loadCheckpoint(dir);
const tokenizer = await loadTokenizer('runs/examples/stories-data'); // the dataset's tokenizer
const backend = await resolveBackend({ backend: 'auto' });
const params = uploadParams(backend, ckpt.config, ckpt.weights);

const prompt = 'Once upon a time';
const ids = generate(backend, ckpt.config, params, Array.from(tokenizer.encode(prompt)), {
  maxTokens: 200,
  temperature: 0.8,
  topK: 40,
  seed: 0,
  stopToken: tokenizer.eotId,
});
console.log(prompt + tokenizer.decode(ids));

disposeParams(backend, params);
backend.close();
