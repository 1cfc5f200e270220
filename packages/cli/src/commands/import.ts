// `hyperclone import`: a Hugging Face model directory (GPT-2, Llama/Mistral/Qwen2, GPT-NeoX, OPT) as our checkpoint,
// its tokenizer files carried along. Not needed to use one: every command that reads a checkpoint takes the directory too.

import { countParams, saveCheckpoint } from '@hyperclone/core';
import { readHuggingFace } from '@hyperclone/hf';
import { CliError, parseFlags, requireFlag, type Command } from '../command.js';
import { writingCheckpoint } from './init.js';

const usage = 'hyperclone import --from HF_DIR --out CKPT';

const flags = { from: { type: 'string' }, out: { type: 'string' } } as const;

export const importCommand: Command = {
  name: 'import',
  summary: 'read a Hugging Face model directory (safetensors or pytorch_model.bin) into a hyperclone checkpoint',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const from = requireFlag(f.from, 'from', usage);
    const out = requireFlag(f.out, 'out', usage);
    const m = await writingCheckpoint(out, 'import', async () => {
      let read;
      try {
        read = await readHuggingFace(from);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      await saveCheckpoint(out, { config: read.config, weights: read.weights, origin: read.origin, files: read.files });
      return read;
    });
    const c = m.config;
    const carried = Object.keys(m.files);
    process.stdout.write(
      `wrote ${out}: ${m.architecture} from ${from}, ${countParams(c).toLocaleString('en-US')} parameters, dModel ${c.dModel}, ` +
        `${c.nLayer} layers, ${c.nHead} heads (${c.nKvHead} kv), stored ${(m.origin['dtypes'] as string[]).join('/')}; ` +
        `${carried.length > 0 ? `carried ${carried.join(', ')}` : 'no tokenizer files found'}\n`,
    );
    for (const note of m.notes) process.stdout.write(`note: ${note}\n`);
    return 0;
  },
};
