// `hyperclone export`: a checkpoint as a Hugging Face directory that from_pretrained loads, folding what Hugging Face
// cannot express (a logit scale) into the weights and saying so. Not import (import.ts).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '@hyperclone/core';
import { countParams } from '@hyperclone/core';
import { EXPORT_DTYPES, FAMILIES, TOKENIZER_FILES, writeHuggingFace, type ExportDtype, type FamilyName } from '@hyperclone/hf';
import { loadModelDir } from '@hyperclone/init';
import { readPath } from '@hyperclone/trainer';
import { CliError, choiceFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { writingCheckpoint } from './init.js';

const FAMILY_NAMES = FAMILIES.map((f) => f.name);
const usage = `hyperclone export --from CKPT --out HF_DIR [--dtype ${EXPORT_DTYPES.join('|')}] [--family ${FAMILY_NAMES.join('|')}]`;

const flags = { from: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' }, family: { type: 'string' } } as const;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a checkpoint as a Hugging Face model directory (config.json, model.safetensors, tokenizer files)',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const from = requireFlag(f.from, 'from', usage);
    const out = requireFlag(f.out, 'out', usage);
    const dtype = choiceFlag(f.dtype, 'dtype', EXPORT_DTYPES) ?? 'float32';
    const family = choiceFlag(f.family, 'family', FAMILY_NAMES) as FamilyName | undefined;
    const { ckpt, files, result } = await writingCheckpoint(out, 'export', async () => {
      let ckpt: Checkpoint;
      try {
        ckpt = await loadModelDir(from, { withTrainingState: true });
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const files = travellingFiles(ckpt, from);
      try {
        const result = await writeHuggingFace(out, ckpt.config, ckpt.weights, {
          dtype: dtype as ExportDtype,
          ...(family ? { family } : {}),
          ...(ckpt.origin ? { origin: ckpt.origin } : {}),
          files: files.files,
        });
        return { ckpt, files, result };
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    });
    process.stdout.write(
      `wrote ${out}: ${result.architecture}, ${dtype}, ${countParams(ckpt.config).toLocaleString('en-US')} parameters; files ${result.files.join(', ')}\n`,
    );
    for (const fold of result.folds) process.stdout.write(`folded: ${fold}\n`);
    if (files.source) process.stdout.write(`tokenizer files from ${files.source}\n`);
    else if (Object.keys(files.files).length === 0) process.stdout.write('note: no tokenizer files travel with this checkpoint\n');
    return 0;
  },
};

/** The checkpoint's own travelling files, else the tokenizer.json of the dataset it was trained on (an hf: one). */
function travellingFiles(ckpt: Checkpoint, from: string): { files: Record<string, Uint8Array>; source: string | null } {
  if (ckpt.files && Object.keys(ckpt.files).length > 0) return { files: ckpt.files, source: null };
  const recorded = (ckpt.trainerState?.['data'] as { dir?: string } | undefined)?.dir;
  const dataDir = recorded === undefined ? null : readPath(from, recorded);
  if (!dataDir || !existsSync(join(dataDir, 'tokenizer.json'))) return { files: {}, source: null };
  const files: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) if (existsSync(join(dataDir, name))) files[name] = readFileSync(join(dataDir, name));
  return { files, source: dataDir };
}
