// `hyperclone init`: writes a randomly initialized checkpoint of a preset or a config.json.
// Not training (`hyperclone train --model` initializes on its own) and not cloning (clone.ts).

import { existsSync } from 'node:fs';
import type { Initializer } from '@hyperclone/core';
import { checkMemory, countParams, loadMemory, lockDir, saveCheckpoint } from '@hyperclone/core';
import { randomInit } from '@hyperclone/init';
import { CliError, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { readModelFlag } from '../model-flag.js';

const usage = 'hyperclone init --model <preset|config.json> --out CKPT [--seed S] [--vocab-size V] [--skip-memory-check]';

const flags = {
  model: { type: 'string' },
  out: { type: 'string' },
  seed: { type: 'string' },
  'vocab-size': { type: 'string' },
  'skip-memory-check': { type: 'boolean' },
} as const;

export const initCommand: Command = {
  name: 'init',
  summary: 'write a randomly initialized checkpoint (GPT-2 init scheme, seeded)',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const model = await readModelFlag(requireFlag(f.model, 'model', usage));
    const out = requireFlag(f.out, 'out', usage);
    const seed = numberFlag(f.seed, 'seed', { integer: true, min: 0 });
    const vocabSize = numberFlag(f['vocab-size'], 'vocab-size', { integer: true, min: 1 });
    let init;
    try {
      init = randomInit(model, { ...(seed !== undefined ? { seed } : {}), ...(vocabSize !== undefined ? { vocabSize } : {}) });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (f['skip-memory-check'] !== true) await checkLoadMemory(init, 'init', 'use a smaller model (dModel, nLayer, dFF, vocabSize)');
    const m = await writingCheckpoint(out, 'init', async () => {
      const made = await init.load();
      await saveCheckpoint(out, { config: made.config, weights: made.weights, origin: made.origin });
      return made;
    });
    process.stdout.write(
      `wrote ${out}: ${countParams(m.config).toLocaleString('en-US')} parameters, dModel ${m.config.dModel}, ${m.config.nLayer} layers, seed ${String(m.origin['seed'])}\n`,
    );
    return 0;
  },
};

/**
 * Refuses, before anything is allocated, an initializer whose weights (and a clone's source and output)
 * cannot fit in the machine's memory (core's loadMemory; `--skip-memory-check` skips this).
 */
export async function checkLoadMemory(init: Initializer, what: string, advice: string): Promise<void> {
  if (!init.plan) return;
  try {
    checkMemory(loadMemory(await init.plan()), { what, advice, override: '--skip-memory-check' });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/**
 * Runs `write` holding the lock on `out` (one writer; a read-only place or a file in the way is refused
 * in words). Checkpoints are never overwritten by init or clone: a typo must not destroy a trained model.
 */
export async function writingCheckpoint<T>(out: string, command: string, write: () => Promise<T>): Promise<T> {
  if (existsSync(out)) throw new CliError(`--out ${out} already exists; choose a new path or remove it first`);
  const lock = lockDir(out, { command, label: `--out ${out}` });
  try {
    return await write();
  } finally {
    lock.release();
  }
}
