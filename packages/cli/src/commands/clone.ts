// `hyperclone clone` and `hyperclone grow`: write a grown copy of a checkpoint or Hugging Face directory (wider, deeper,
// rotated) that computes the same function. Not the transforms (@hyperclone/init's growWeights) and not training (`train --init`).

import { countParams, saveCheckpoint, type Initializer, type InitializedModel, type Logger } from '@hyperclone/core';
import { CLONE_VARIANTS, NEW_BLOCKS, PLACEMENTS, hyperclone, type CloneOptions } from '@hyperclone/init';
import { choiceFlag, CliError, integerFlag, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { checkLoadMemory, writingCheckpoint } from './init.js';

const common =
  '[--variant symmetric|noisy-symmetric|diagonal|noisy-diagonal] [--snr-db X] [--tie keep|untie] [--rotate] [--seed S] [--skip-memory-check] --out CKPT';
const cloneUsage = `hyperclone clone --from CKPT --width N [--ffn N] ${common}`;
const growUsage = `hyperclone grow --from CKPT [--width N] [--ffn N] [--depth N] [--placement interleave|stack] [--new-blocks identity|copy] ${common}`;

const cloneFlags = {
  from: { type: 'string' },
  width: { type: 'string' },
  ffn: { type: 'string' },
  variant: { type: 'string' },
  'snr-db': { type: 'string' },
  tie: { type: 'string' },
  rotate: { type: 'boolean' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'skip-memory-check': { type: 'boolean' },
} as const;
const growFlags = { ...cloneFlags, depth: { type: 'string' }, placement: { type: 'string' }, 'new-blocks': { type: 'string' } } as const;

/** Warnings (a diagonal variant falling back to symmetric) go to stderr as one line each. */
const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (obj, msg) => process.stderr.write(`hyperclone: warning: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`hyperclone: error: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
};

type Flags = Partial<Record<keyof typeof growFlags, string | boolean>>;

/** The clone options both commands share; `width` is required by clone and 1 by default for grow. */
function cloneOptions(f: Flags, width: number): CloneOptions {
  const options: CloneOptions = { width, logger: stderrLogger };
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const ffn = integerFlag(str(f.ffn), 'ffn');
  const snrDb = numberFlag(str(f['snr-db']), 'snr-db');
  const seed = integerFlag(str(f.seed), 'seed', 0);
  const depth = integerFlag(str(f.depth), 'depth');
  const variant = choiceFlag(str(f.variant), 'variant', CLONE_VARIANTS);
  const tie = choiceFlag(str(f.tie), 'tie', ['keep', 'untie'] as const);
  const placement = choiceFlag(str(f.placement), 'placement', PLACEMENTS);
  const newBlocks = choiceFlag(str(f['new-blocks']), 'new-blocks', NEW_BLOCKS);
  if (ffn !== undefined) options.ffn = ffn;
  if (snrDb !== undefined) options.snrDb = snrDb;
  if (seed !== undefined) options.seed = seed;
  if (variant !== undefined) options.variant = variant;
  if (tie !== undefined) options.tie = tie;
  if (f.rotate === true) options.rotate = true;
  if (depth !== undefined) options.depth = depth;
  if (placement !== undefined) options.placement = placement;
  if (newBlocks !== undefined) options.newBlocks = newBlocks;
  return options;
}

/**
 * Writes the grown checkpoint holding out's lock; it keeps the source's tokenizer record. The source and the
 * grown weights must fit in memory first (read from the configs alone), unless `skipMemoryCheck`.
 */
async function writeGrown(from: string, out: string, options: CloneOptions, skipMemoryCheck: boolean): Promise<InitializedModel> {
  let init: Initializer;
  try {
    init = hyperclone(from, options);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (!skipMemoryCheck) await checkLoadMemory(init, 'this clone (source and output weights)', 'lower --width, --ffn or --depth');
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
  const depth = c.depth ? `, ${c.depth.newBlocks} blocks ${c.depth.placement}ed to ${m.config.nLayer} layers` : '';
  return (
    `wrote ${out}: ${c.variant} clone x${c.width} (ffn x${c.ffn})${depth}${c.rotate ? ', stream rotated' : ''} of ${from}, ` +
    `dModel ${s.dModel} -> ${m.config.dModel}, nLayer ${s.nLayer} -> ${m.config.nLayer}, ` +
    `${countParams(s).toLocaleString('en-US')} -> ${countParams(m.config).toLocaleString('en-US')} parameters\n`
  );
}

export const cloneCommand: Command = {
  name: 'clone',
  summary: 'HyperClone a checkpoint into a wider one that computes the same function',
  usage: cloneUsage,
  async run(argv) {
    const { values: f } = parseFlags(argv, cloneFlags, cloneUsage);
    const from = requireFlag(f.from, 'from', cloneUsage);
    const out = requireFlag(f.out, 'out', cloneUsage);
    const width = integerFlag(requireFlag(f.width, 'width', cloneUsage), 'width')!;
    const m = await writeGrown(from, out, cloneOptions(f, width), f['skip-memory-check'] === true);
    process.stdout.write(describeGrown(m, from, out));
    return 0;
  },
};

export const growCommand: Command = {
  name: 'grow',
  summary: 'grow a checkpoint wider and deeper (new identity blocks, or G_stack copies) in one step',
  usage: growUsage,
  async run(argv) {
    const { values: f } = parseFlags(argv, growFlags, growUsage);
    const from = requireFlag(f.from, 'from', growUsage);
    const out = requireFlag(f.out, 'out', growUsage);
    const width = integerFlag(f.width, 'width') ?? 1;
    if (f.width === undefined && f.depth === undefined && f.rotate !== true)
      throw new CliError(`grow needs at least one of --width, --depth or --rotate\nusage: ${growUsage}`, 2);
    const m = await writeGrown(from, out, cloneOptions(f, width), f['skip-memory-check'] === true);
    process.stdout.write(describeGrown(m, from, out));
    return 0;
  },
};
