// `hyperclone bench clone-vs-random`: the random-vs-HyperCloning time-to-target benchmark from the
// command line, with progress and a printed speedup table. Not the benchmark (@hyperclone/bench).

import { join } from 'node:path';
import { DEFAULT_SNR_DB, GROWTH_ARM_HELP, GROWTH_FIELDS, growthFromFlags, type GrowthOptions } from '@hyperclone/init';
import {
  budgetTableRows,
  checkArms,
  compareCloneVsRandom,
  DEFAULT_VARIANTS,
  reanalyzeBench,
  SHARED_TRAIN_KEYS,
  speedupRows,
  type BenchResult,
  type CompareOptions,
} from '@hyperclone/bench';
import { parseGrowStage, TRAIN_OPTIONS, type GrowStage } from '@hyperclone/trainer';
import { BACKEND_FLAGS, backendFlagValues, backendRequest } from '../backends.js';
import { CliError, integerFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { LAUNCH_FLAGS, launchRanks, takeLaunchFlags } from '../distributed.js';
import { rankEnv } from '../torchrun-env.js';
import { flagRows, helpOf, parseConfig, rowDoc, rowValue, rowValues, usageOf, type FlagDoc, type FlagValues } from '../option-flags.js';
import { formatDuration } from '../progress.js';
import { flagText, targetFlagDocs, targetFromFlags, withHarness } from '../run-harness.js';

/** The growth fields the benchmark takes as flags of its own (every wide arm shares them). */
const BENCH_GROWTH_KEYS = ['width', 'ffn', 'depth', 'snr-db', 'tie'];

/** The training options every run gets, flags and all, from the trainer's option table. */
const trainRows = flagRows(TRAIN_OPTIONS, [...SHARED_TRAIN_KEYS, 'warmup', 'rewarmup']);
const trainDoc = (key: string): FlagDoc => rowDoc(trainRows.find(([k]) => k === key)![1]);

const TARGET_FLAGS: FlagDoc[] = targetFlagDocs({
  loss: 'target validation loss X for every seed',
  acc: "target validation accuracy Y for every seed (default: each seed's random arm's final accuracy)",
});
const docs: FlagDoc[] = [
  { ...rowDoc(TRAIN_OPTIONS.data), required: true },
  {
    name: 'small',
    arg: '<preset|CKPT>',
    required: true,
    help: 'the small model: a preset (trained here for --small-steps, seed 0), a trained checkpoint or a Hugging Face model directory',
  },
  { name: 'width', arg: 'N', required: true, help: "the clone's width multiplier (hidden size and heads)" },
  { name: 'ffn', arg: 'N', help: "the clone's FFN multiplier", defaultText: 'width' },
  {
    name: 'depth',
    arg: 'N',
    help: "every wide arm's nLayer multiplier: the clones grow new blocks, random starts at that depth",
    defaultText: '1',
  },
  {
    name: 'variants',
    arg: 'ARM,ARM...',
    help: `clone arms raced against random init, each ${GROWTH_ARM_HELP}`,
    defaultText: DEFAULT_VARIANTS.join(','),
  },
  {
    name: 'stages',
    arg: "'STEP:SPEC[;STEP:SPEC]'",
    help: 'also race a staged arm: random init at the small size, grown inside its run at each STEP as train --grow-at does, for the last STEP + budget steps',
  },
  { name: 'versus', arg: 'ARM', help: 'the arm every other is also compared with', defaultText: 'clone:noisy-symmetric when it runs' },
  { name: 'seeds', arg: 'K', help: 'seeds per arm (3 or more for a p-value worth reading)', defaultText: '3' },
  { name: 'budget', arg: 'STEPS', help: 'steps of every wide arm (--steps is the same)', defaultText: '500' },
  { name: 'small-steps', arg: 'N', help: "the small model's steps when it is trained here", defaultText: 'budget' },
  trainDoc('batchSize'),
  trainDoc('seqLen'),
  trainDoc('lr'),
  { name: 'small-lr', arg: 'L', help: "the small model's peak learning rate", defaultText: 'lr' },
  trainDoc('warmup'),
  { ...trainDoc('rewarmup'), help: 'warmup of the cloned arms (from fresh AdamW moments)' },
  trainDoc('schedule'),
  { ...trainDoc('schedule'), name: 'small-schedule', help: "the small model's own schedule", defaultText: 'schedule' },
  trainDoc('dropout'),
  { name: 'snr-db', arg: 'X', help: 'noise of the noisy variants, in dB of signal to noise', defaultText: String(DEFAULT_SNR_DB) },
  { name: 'tie', arg: 'keep|untie', help: 'a tied small model: keep the clone tied, or give it its own head', defaultText: 'keep' },
  trainDoc('evalEvery'),
  trainDoc('evalWindows'),
  trainDoc('tasks'),
  trainDoc('taskLimit'),
  trainDoc('skipMemoryCheck'),
  ...TARGET_FLAGS,
  ...BACKEND_FLAGS,
  ...LAUNCH_FLAGS,
  {
    ...rowDoc(TRAIN_OPTIONS.out),
    arg: 'DIR',
    required: true,
    help: 'the benchmark folder: summary.json, report.md, report.html, plots/, runs/, small/',
  },
];
const flags = { ...parseConfig(docs), steps: { type: 'string' as const } };
const usage = `hyperclone bench clone-vs-random ${usageOf(docs)}`;

const reportUsage = 'hyperclone bench report --out DIR [--target-acc Y | --target-loss X]';
const reportFlags = { out: { type: 'string' }, 'target-acc': { type: 'string' }, 'target-loss': { type: 'string' } } as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark HyperCloning against random init: time to target in FLOPs, tokens and device-hours',
  usage,
  help: `clone-vs-random flags:\n${helpOf(docs)}\n\n${reportUsage}: the numbers and report of a finished benchmark again (its folder may have moved)`,
  async run(argvWithLaunch) {
    const launch = takeLaunchFlags(argvWithLaunch);
    if (launch.nproc !== null && launch.nproc > 1) return launchRanks('bench', launch, rankEnv() !== null);
    const [kind, ...rest] = launch.rest;
    if (kind === 'report') return report(rest);
    if (kind !== 'clone-vs-random')
      throw new CliError(
        `unknown benchmark "${kind ?? ''}"; available: clone-vs-random (or report, to redo a finished one's numbers)\nusage: ${usage}`,
        2,
      );
    const { values } = parseFlags(rest, flags, usage);
    const f = values as FlagValues;
    const options = benchOptions(f);
    const backendFlags = backendFlagValues(f);
    backendRequest(backendFlags); // a bad value is a usage error before anything is read
    return withHarness({ backendFlags, plainEverySec: 30 }, async (h) => {
      const runStartsMs: number[] = [];
      const result = await compareCloneVsRandom({
        ...options,
        backend: h.backend,
        ...(h.group ? { distributed: h.group } : {}),
        logger: h.log.logger,
        onStart: () => {
          if (!h.quiet) h.log.attach(join(options.out, 'bench.log')); // once every input is checked
          h.progress.note(
            `bench: ${h.backend.engine} on ${h.backend.device.name}; small ${options.small} -> width ${options.width}, ${options.seeds} seeds, ${options.steps} steps per wide arm`,
          );
        },
        onRun: (label, index, total) => {
          runStartsMs.push(performance.now());
          h.progress.note(`[${index + 1}/${total}] training ${label}${benchEta(runStartsMs, total)}`);
        },
        onReport: () => h.progress.note('writing the report (plots and tables)'),
        trainHooks: { onStep: (e) => h.progress.step(e), signal: h.signal },
      });
      if (h.signal.aborted) return 130;
      h.progress.end();
      if (!h.quiet) printResult(result, options.out);
      return 0;
    });
  },
};

/** `bench report`: the numbers and report of a finished benchmark again, from its runs. */
async function report(argv: string[]): Promise<number> {
  const { values: f } = parseFlags(argv, reportFlags, reportUsage);
  const out = requireFlag(f.out, 'out', reportUsage);
  const result = await reanalyzeBench(out, targetFromFlags(f as FlagValues) as CompareOptions['target']);
  printResult(result, out);
  return 0;
}

function printResult(result: BenchResult, out: string): void {
  process.stdout.write(`\n${table(speedupRows(result, false))}\n`);
  if (result.small) process.stdout.write(`\ncounting the small model's training:\n${table(speedupRows(result, true))}\n`);
  const byBudget = budgetTableRows(result);
  if (byBudget)
    process.stdout.write(
      `\nhad every arm stopped earlier (constant learning rate; target = random's accuracy there):\n${table(byBudget)}\n`,
    );
  process.stdout.write(`\nreport: ${join(out, 'report.html')}\nsummary: ${join(out, 'summary.json')}\n`);
}

/** The growth every wide arm shares (--width, --ffn, --depth, --snr-db, --tie), read by init's growth parser. */
function sharedGrowth(f: FlagValues): GrowthOptions {
  try {
    return growthFromFlags(
      f,
      GROWTH_FIELDS.filter((g) => BENCH_GROWTH_KEYS.includes(g.key)),
    );
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

function benchOptions(f: FlagValues): Omit<CompareOptions, 'backend'> {
  const int = (name: string): number | undefined => integerFlag(flagText(f, name), name);
  const growth = sharedGrowth(f);
  return {
    data: requireFlag(flagText(f, 'data'), 'data', usage),
    out: requireFlag(flagText(f, 'out'), 'out', usage),
    small: requireFlag(flagText(f, 'small'), 'small', usage),
    width: requireFlag(growth.width, 'width', usage),
    steps: int('budget') ?? int('steps') ?? 500,
    seeds: int('seeds') ?? 3,
    ...defined({
      variants: parseVariants(flagText(f, 'variants'), growth.depth ?? 1),
      depth: growth.depth,
      stages: parseStages(flagText(f, 'stages')),
      reference: flagText(f, 'versus'),
      ffn: growth.ffn,
      smallSteps: int('small-steps'),
      smallLr: rowValue(TRAIN_OPTIONS.lr, f['small-lr'], 'small-lr') as number | undefined,
      snrDb: growth.snrDb ?? undefined,
      tie: growth.tie,
      smallSchedule: rowValue(TRAIN_OPTIONS.schedule, f['small-schedule'], 'small-schedule') as CompareOptions['smallSchedule'],
      target: targetFromFlags(f) as CompareOptions['target'],
    }),
    ...(rowValues(trainRows, f) as Partial<CompareOptions>),
  };
}

/** ` (about 4m10s left in the benchmark)` once a wide run has finished: the wide runs' mean duration
 * times the runs still to go (the first run, the small model, is shorter and not counted). */
function benchEta(runStartsMs: readonly number[], total: number): string {
  const started = runStartsMs.length;
  if (started < 3) return '';
  const wide = runStartsMs.slice(2).map((ms, i) => ms - runStartsMs[i + 1]!);
  const meanMs = wide.reduce((a, b) => a + b, 0) / wide.length;
  return ` (about ${formatDuration((meanMs * (total - started + 1)) / 1000)} left in the benchmark)`;
}

function parseVariants(value: string | undefined, depth: number): string[] | undefined {
  if (value === undefined) return undefined;
  const variants = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (variants.length === 0) throw new CliError('--variants needs at least one arm', 2);
  try {
    checkArms(variants, { depth });
  } catch (e) {
    throw new CliError(`--variants: ${(e as Error).message}`, 2);
  }
  return variants;
}

function parseStages(value: string | undefined): GrowStage[] | undefined {
  if (value === undefined) return undefined;
  try {
    return value
      .split(';')
      .map((v) => v.trim())
      .filter(Boolean)
      .map(parseGrowStage);
  } catch (e) {
    throw new CliError(`--stages: ${(e as Error).message.replace(/--grow-at /, '')}`, 2);
  }
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}
