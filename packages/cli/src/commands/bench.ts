// `hyperclone bench clone-vs-random`: the random-vs-HyperCloning time-to-target benchmark from the
// command line, with progress and a printed speedup table. Not the benchmark (@hyperclone/bench).

import { join } from 'node:path';
import type { CloneVariant } from '@hyperclone/init';
import { CLONE_VARIANTS } from '@hyperclone/init';
import {
  budgetTableRows,
  compareCloneVsRandom,
  reanalyzeBench,
  speedupRows,
  type BenchResult,
  type CompareOptions,
} from '@hyperclone/bench';
import { SCHEDULE_KINDS } from '@hyperclone/trainer';
import { backendFromFlags } from '../backends.js';
import { choiceFlag, CliError, numberFlag, parseFlags, requireFlag, type Command } from '../command.js';
import { createRunLogger } from '../logger.js';
import { ProgressDisplay } from '../progress.js';

const usage =
  'hyperclone bench clone-vs-random --data DIR --small <preset|CKPT> --width N [--ffn N] [--variants V,V...] [--seeds K] ' +
  '[--budget STEPS] [--small-steps N] [--batch-size B] [--seq-len T] [--lr L] [--small-lr L] [--warmup N] [--rewarmup N] ' +
  '[--schedule cosine|wsd|constant] [--small-schedule cosine|wsd|constant] ' +
  '[--dropout P] [--snr-db X] [--tie keep|untie] [--eval-every N] [--eval-windows N] [--target-acc Y | --target-loss X] ' +
  '[--backend auto|torch|tfjs] [--device cpu|cuda] [--threads N] --out DIR';

const reportUsage = 'hyperclone bench report --out DIR [--target-acc Y | --target-loss X]';
const reportFlags = { out: { type: 'string' }, 'target-acc': { type: 'string' }, 'target-loss': { type: 'string' } } as const;

const flags = {
  data: { type: 'string' },
  small: { type: 'string' },
  width: { type: 'string' },
  ffn: { type: 'string' },
  variants: { type: 'string' },
  seeds: { type: 'string' },
  budget: { type: 'string' },
  steps: { type: 'string' },
  'small-steps': { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  lr: { type: 'string' },
  'small-lr': { type: 'string' },
  warmup: { type: 'string' },
  schedule: { type: 'string' },
  'small-schedule': { type: 'string' },
  rewarmup: { type: 'string' },
  dropout: { type: 'string' },
  'snr-db': { type: 'string' },
  tie: { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-windows': { type: 'string' },
  'target-acc': { type: 'string' },
  'target-loss': { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
} as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark HyperCloning against random init: time to target in FLOPs, tokens and device-hours',
  usage,
  async run(argv) {
    const [kind, ...rest] = argv;
    if (kind === 'report') return report(rest);
    if (kind !== 'clone-vs-random')
      throw new CliError(
        `unknown benchmark "${kind ?? ''}"; available: clone-vs-random (or report, to redo a finished one's numbers)\nusage: ${usage}`,
        2,
      );
    const { values: f } = parseFlags(rest, flags, usage);
    const int = (v: string | undefined, name: string, min = 1) => numberFlag(v, name, { integer: true, min });
    const num = (v: string | undefined, name: string) => numberFlag(v, name);
    const budget = int(f.budget, 'budget') ?? int(f.steps, 'steps') ?? 500;
    const options: Omit<CompareOptions, 'backend'> = {
      data: requireFlag(f.data, 'data', usage),
      out: requireFlag(f.out, 'out', usage),
      small: requireFlag(f.small, 'small', usage),
      width: requireFlag(int(f.width, 'width'), 'width', usage),
      steps: budget,
      seeds: int(f.seeds, 'seeds') ?? 3,
      ...defined({
        variants: parseVariants(f.variants),
        ffn: int(f.ffn, 'ffn'),
        smallSteps: int(f['small-steps'], 'small-steps'),
        batchSize: int(f['batch-size'], 'batch-size'),
        seqLen: int(f['seq-len'], 'seq-len'),
        lr: num(f.lr, 'lr'),
        smallLr: num(f['small-lr'], 'small-lr'),
        warmup: int(f.warmup, 'warmup', 0),
        rewarmup: int(f.rewarmup, 'rewarmup', 0),
        dropout: num(f.dropout, 'dropout'),
        snrDb: num(f['snr-db'], 'snr-db'),
        evalEvery: int(f['eval-every'], 'eval-every'),
        evalWindows: int(f['eval-windows'], 'eval-windows'),
        tie: choiceFlag(f.tie, 'tie', ['keep', 'untie'] as const),
        schedule: choiceFlag(f.schedule, 'schedule', SCHEDULE_KINDS),
        smallSchedule: choiceFlag(f['small-schedule'], 'small-schedule', SCHEDULE_KINDS),
        target: parseTarget(f),
      }),
    };
    const backend = await backendFromFlags(f);
    const progress = new ProgressDisplay(process.stderr, { tty: process.stderr.isTTY === true, plainEverySec: 30 });
    const runLog = createRunLogger((level, msg) => progress.note(`${level === 'warn' ? 'warning' : 'error'}: ${msg}`));
    runLog.attach(join(options.out, 'bench.log'));
    const controller = new AbortController();
    const onSignal = (): void => {
      if (controller.signal.aborted) process.exit(130);
      progress.note('interrupted: finishing this step and saving a checkpoint (Ctrl-C again to quit at once)');
      controller.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      progress.note(
        `bench: ${backend.engine} on ${backend.device.name}; small ${options.small} -> width ${options.width}, ${options.seeds} seeds, ${budget} steps per wide arm`,
      );
      const result = await compareCloneVsRandom({
        ...options,
        backend,
        logger: runLog.logger,
        onRun: (label, index, total) => progress.note(`[${index + 1}/${total}] training ${label}`),
        trainHooks: { onStep: (e) => progress.step(e), signal: controller.signal },
      });
      if (controller.signal.aborted) return 130;
      printResult(result, options.out);
      return 0;
    } finally {
      progress.end();
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      runLog.close();
      backend.close();
    }
  },
};

/** `bench report`: the numbers and report of a finished benchmark again, from its runs. */
async function report(argv: string[]): Promise<number> {
  const { values: f } = parseFlags(argv, reportFlags, reportUsage);
  const out = requireFlag(f.out, 'out', reportUsage);
  const result = await reanalyzeBench(out, parseTarget(f));
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

function parseVariants(value: string | undefined): CloneVariant[] | undefined {
  if (value === undefined) return undefined;
  const variants = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  for (const v of variants) {
    if (!(CLONE_VARIANTS as readonly string[]).includes(v))
      throw new CliError(`--variants: unknown variant "${v}"; choose from ${CLONE_VARIANTS.join(', ')}`, 2);
  }
  if (variants.length === 0) throw new CliError('--variants needs at least one variant', 2);
  return variants as CloneVariant[];
}

function parseTarget(f: { 'target-acc'?: string | undefined; 'target-loss'?: string | undefined }): CompareOptions['target'] {
  const acc = numberFlag(f['target-acc'], 'target-acc');
  const loss = numberFlag(f['target-loss'], 'target-loss');
  if (acc !== undefined && loss !== undefined) throw new CliError('give --target-acc or --target-loss, not both', 2);
  if (acc !== undefined) return { metric: 'valAcc', value: acc };
  if (loss !== undefined) return { metric: 'valLoss', value: loss };
  return undefined;
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}
