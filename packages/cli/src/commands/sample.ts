// `hyperclone sample`: continues a prompt with a checkpoint (temperature, top-k, seed), printing
// each piece of text as its token is sampled. Not a chat interface and not fast (no KV cache:
// core's generate re-runs the window).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkSameTokenizer, generate, uploadParams, disposeParams } from '@hyperclone/core';
import type { Checkpoint } from '@hyperclone/core';
import { datasetTokenizer, loadTokenizer, openDataset, StreamDecoder } from '@hyperclone/data';
import { loadModelDir } from '@hyperclone/init';
import { checkpointTokenizer, readPath } from '@hyperclone/trainer';
import { backendFromFlags } from '../backends.js';
import { CliError, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';

const usage =
  'hyperclone sample --checkpoint CKPT [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S] [--data DIR] ' +
  '[--backend auto|torch|tfjs] [--device cpu|cuda] [--threads N]';

const flags = {
  checkpoint: { type: 'string' },
  prompt: { type: 'string' },
  tokens: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  data: { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
} as const;

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'generate text from a checkpoint',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const dir = requireFlag(f.checkpoint, 'checkpoint', usage);
    const maxTokens = numberFlag(f.tokens, 'tokens', { integer: true, min: 1 }) ?? 200;
    const temperature = numberFlag(f.temperature, 'temperature', { min: 0 }) ?? 0.8;
    const topK = numberFlag(f['top-k'], 'top-k', { integer: true, min: 0 }) ?? 0;
    const seed = numberFlag(f.seed, 'seed', { integer: true, min: 0 }) ?? 0;
    const ckpt = await loadModelDir(dir, { withTrainingState: true }); // ours, or a Hugging Face directory
    const tokenizer = await tokenizerFor(ckpt, dir, f.data);
    const prompt = f.prompt !== undefined && f.prompt !== '' ? Array.from(tokenizer.encode(f.prompt)) : [tokenizer.eotId];
    const backend = await backendFromFlags(f);
    const params = uploadParams(backend, ckpt.config, ckpt.weights);
    try {
      const stream = new StreamDecoder(tokenizer);
      process.stdout.write(f.prompt ?? '');
      const onToken = (id: number): void => void process.stdout.write(stream.push(id));
      generate(backend, ckpt.config, params, prompt, { maxTokens, temperature, topK, seed, stopToken: tokenizer.eotId, onToken });
      process.stdout.write(`${stream.flush()}\n`);
      return 0;
    } finally {
      disposeParams(backend, params);
      backend.close();
    }
  },
};

/**
 * --data's tokenizer, else the one recorded by the trainer in trainer-state.json, else the tokenizer.json that
 * travels with the weights (an imported model's), else bytes for a 257-token model.
 */
async function tokenizerFor(ckpt: Checkpoint, dir: string, data: string | undefined) {
  if (data !== undefined && existsSync(data)) {
    const dataset = await openDataset(data);
    const identity = datasetTokenizer(dataset.meta);
    dataset.close();
    checkSameTokenizer(checkpointTokenizer(dir, ckpt), identity, dir, data);
    return loadTokenizer(data);
  }
  if (data !== undefined) return loadTokenizer(data); // a tokenizer spec
  const recorded = ckpt.trainerState?.['data'] as { dir?: string; tokenizer?: string } | undefined;
  const recordedDir = recorded?.dir === undefined ? undefined : readPath(dir, recorded.dir);
  if (recordedDir && existsSync(recordedDir)) return loadTokenizer(recordedDir);
  if (recorded?.tokenizer === 'byte' || recorded?.tokenizer === 'gpt2') return loadTokenizer(recorded.tokenizer);
  if (ckpt.files?.['tokenizer.json'] || existsSync(join(dir, 'tokenizer.json'))) return loadTokenizer(`hf:${dir}`);
  if (ckpt.config.vocabSize === 257) return loadTokenizer('byte');
  throw new CliError(`cannot tell which tokenizer ${dir} was trained with; pass --data DIR (the token dataset it was trained on)`);
}
