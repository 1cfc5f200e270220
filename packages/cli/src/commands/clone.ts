// `hyperclone clone` and `hyperclone grow`: write a grown copy of a checkpoint or Hugging Face directory (wider, deeper,
// rotated) that computes the same function. Not the growth (@hyperclone/init's GrowthSpec, planGrowth, applyGrowth) and not training (`train --init`).

import { countParams, saveCheckpoint, type Initializer, type InitializedModel, type Logger } from '@hyperclone/core';
import {
  growthFlagFields,
  growthFromFlags,
  growthOfClone,
  growthText,
  hyperclone,
  isIdentityGrowth,
  resolveGrowth,
  type GrowthField,
  type GrowthOptions,
} from '@hyperclone/init';
import { CliError, parseFlags, requireFlag, type Command } from '../command.js';
import { helpOf, parseConfig, usageOf, type FlagDoc } from '../option-flags.js';
import { checkLoadMemory, writingCheckpoint } from './init.js';

/** A growth field as a flag (`--kv-heads N`); clone requires --width. */
const growthDoc = (f: GrowthField, required = false): FlagDoc => ({
  name: f.key,
  arg: f.arg,
  help: f.help,
  defaultText: f.defaultText,
  ...(required ? { required } : {}),
});
const FROM: FlagDoc = { name: 'from', arg: 'CKPT', required: true, help: 'the source: a checkpoint or a Hugging Face model directory' };
const OUT: FlagDoc = { name: 'out', arg: 'CKPT', required: true, help: 'the grown checkpoint (a new directory)' };
const SKIP: FlagDoc = { name: 'skip-memory-check', arg: null, help: 'write it even when the estimate exceeds the memory available' };

function docsOf(command: 'clone' | 'grow'): FlagDoc[] {
  const fields = growthFlagFields(command).map((f) => growthDoc(f, command === 'clone' && f.field === 'width'));
  return [FROM, ...fields, SKIP, OUT];
}
const cloneDocs = docsOf('clone');
const growDocs = docsOf('grow');
const cloneUsage = `hyperclone clone ${usageOf(cloneDocs)}`;
const growUsage = `hyperclone grow ${usageOf(growDocs)}`;

/** Warnings (a diagonal variant falling back to symmetric) go to stderr as one line each. */
const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (obj, msg) => process.stderr.write(`hyperclone: warning: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`hyperclone: error: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
};

/** The growth the flags give, read and checked by init's one parser (a bad value is a usage error, exit 2). */
function growthOptions(command: 'clone' | 'grow', values: Record<string, unknown>, usage: string): GrowthOptions {
  let options: GrowthOptions;
  try {
    options = growthFromFlags(values, growthFlagFields(command));
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
  if (command === 'clone') requireFlag(values['width'], 'width', usage);
  let spec;
  try {
    spec = resolveGrowth(options);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (command === 'grow' && isIdentityGrowth(spec))
    throw new CliError(`grow needs at least one of --width, --ffn, --heads, --kv-heads, --depth or --rotate\nusage: ${usage}`, 2);
  return { ...options, logger: stderrLogger };
}

/**
 * Writes the grown checkpoint holding out's lock; it keeps the source's tokenizer record. The source and the
 * grown weights must fit in memory first (read from the configs alone), unless `skipMemoryCheck`.
 */
async function writeGrown(from: string, out: string, options: GrowthOptions, skipMemoryCheck: boolean): Promise<InitializedModel> {
  let init: Initializer;
  try {
    init = hyperclone(from, options);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (!skipMemoryCheck) await checkLoadMemory(init, 'this clone (source and output weights)', 'lower --width, --ffn, --heads or --depth');
  return writingCheckpoint(out, 'clone', async () => {
    let m: InitializedModel;
    try {
      m = await init.load();
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    await saveCheckpoint(out, {
      config: m.config,
      weights: m.weights,
      origin: m.origin,
      ...(m.tokenizer ? { tokenizer: m.tokenizer } : {}),
      ...(m.files ? { files: m.files } : {}), // an imported model's tokenizer files travel with the weights
    });
    return m;
  });
}

function describeGrown(m: InitializedModel, from: string, out: string): string {
  const c = m.clone!;
  const s = c.sourceConfig;
  return (
    `wrote ${out}: ${c.variant} clone x${c.width} of ${from} (${growthText(growthOfClone(c))}), ` +
    `dModel ${s.dModel} -> ${m.config.dModel}, heads ${s.nHead} -> ${m.config.nHead}, nLayer ${s.nLayer} -> ${m.config.nLayer}, ` +
    `${countParams(s).toLocaleString('en-US')} -> ${countParams(m.config).toLocaleString('en-US')} parameters\n`
  );
}

function growthCommand(command: 'clone' | 'grow', summary: string, docs: FlagDoc[], usage: string): Command {
  const flags = parseConfig(docs);
  return {
    name: command,
    summary,
    usage,
    help: `flags:\n${helpOf(docs)}`,
    async run(argv) {
      const { values } = parseFlags(argv, flags, usage);
      const from = requireFlag(values['from'] as string | undefined, 'from', usage);
      const out = requireFlag(values['out'] as string | undefined, 'out', usage);
      const m = await writeGrown(from, out, growthOptions(command, values, usage), values['skip-memory-check'] === true);
      process.stdout.write(describeGrown(m, from, out));
      return 0;
    },
  };
}

export const cloneCommand = growthCommand(
  'clone',
  'HyperClone a checkpoint into a wider one that computes the same function',
  cloneDocs,
  cloneUsage,
);

export const growCommand = growthCommand(
  'grow',
  'grow a checkpoint wider, with more heads, deeper (new identity blocks, or G_stack copies) or rotated, in one step',
  growDocs,
  growUsage,
);
