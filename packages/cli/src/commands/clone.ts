// `hyperclone clone`: writes a HyperCloning of a checkpoint, a wider model computing the same function.
// Not the transform (@hyperclone/init's cloneWeights) and not training the clone (`train --init`).

import { countParams, saveCheckpoint, type Logger } from '@hyperclone/core';
import { CLONE_VARIANTS, hyperclone, type CloneOptions } from '@hyperclone/init';
import { choiceFlag, CliError, integerFlag, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { refuseExisting } from './init.js';

const usage =
  'hyperclone clone --from CKPT --width N [--ffn N] [--variant symmetric|noisy-symmetric|diagonal|noisy-diagonal] [--snr-db X] [--tie keep|untie] [--seed S] --out CKPT';

const flags = {
  from: { type: 'string' },
  width: { type: 'string' },
  ffn: { type: 'string' },
  variant: { type: 'string' },
  'snr-db': { type: 'string' },
  tie: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

/** Warnings (a diagonal variant falling back to symmetric) go to stderr as one line each. */
const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (obj, msg) => process.stderr.write(`hyperclone: warning: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`hyperclone: error: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
};

export const cloneCommand: Command = {
  name: 'clone',
  summary: 'HyperClone a checkpoint into a wider one that computes the same function',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const from = requireFlag(f.from, 'from', usage);
    const out = requireFlag(f.out, 'out', usage);
    const options: CloneOptions = {
      width: integerFlag(requireFlag(f.width, 'width', usage), 'width')!,
      logger: stderrLogger,
    };
    const ffn = integerFlag(f.ffn, 'ffn');
    const snrDb = numberFlag(f['snr-db'], 'snr-db');
    const seed = integerFlag(f.seed, 'seed', 0);
    const variant = choiceFlag(f.variant, 'variant', CLONE_VARIANTS);
    const tie = choiceFlag(f.tie, 'tie', ['keep', 'untie'] as const);
    if (ffn !== undefined) options.ffn = ffn;
    if (snrDb !== undefined) options.snrDb = snrDb;
    if (seed !== undefined) options.seed = seed;
    if (variant !== undefined) options.variant = variant;
    if (tie !== undefined) options.tie = tie;
    refuseExisting(out);
    let m;
    try {
      m = await hyperclone(from, options).load();
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    await saveCheckpoint(out, { config: m.config, weights: m.weights, origin: m.origin });
    const c = m.clone!;
    process.stdout.write(
      `wrote ${out}: ${c.variant} clone x${c.width} (ffn x${c.ffn}) of ${from}, dModel ${c.sourceConfig.dModel} -> ${m.config.dModel}, ` +
        `${countParams(c.sourceConfig).toLocaleString('en-US')} -> ${countParams(m.config).toLocaleString('en-US')} parameters\n`,
    );
    return 0;
  },
};
