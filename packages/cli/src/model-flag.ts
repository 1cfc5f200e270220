// Reading `--model <preset|config.json>` and the vocabulary a dataset needs, for commands that make
// a model. Not the presets (core's config.ts) and not initialization (@hyperclone/init).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ModelConfig } from '@hyperclone/core';
import { PRESETS, presetNames } from '@hyperclone/core';
import { openDataset } from '@hyperclone/data';
import { CliError } from './command.js';

/** A preset name, or a JSON file holding a model config (a bare config or a checkpoint's config.json). */
export async function readModelFlag(value: string): Promise<string | Partial<ModelConfig>> {
  if (PRESETS[value]) return value;
  if (!value.endsWith('.json') && !existsSync(value)) {
    throw new CliError(`unknown model preset "${value}"; choose one of: ${presetNames().join(', ')}, or give a config.json file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(value, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `model config ${value} does not exist` : `model config ${value} is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CliError(`model config ${value} must hold a JSON object`);
  const obj = raw as Record<string, unknown>;
  return (typeof obj['model'] === 'object' && obj['model'] !== null ? obj['model'] : obj) as Partial<ModelConfig>;
}

/** The vocabulary size of a token dataset (meta.json), checking that the directory is a dataset. */
export async function datasetVocab(dir: string): Promise<number> {
  const dataset = await openDataset(dir);
  try {
    return dataset.meta.vocabSize;
  } finally {
    dataset.close();
  }
}
