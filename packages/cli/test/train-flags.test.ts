// `hyperclone train`'s flags as read off the option table: docs/training.md's option list is the
// generated one, --help lists every flag with its help line, and a flag's value is checked (negative
// numbers included) before anything is written. Not training (train-commands.test.ts).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRAIN_OPTIONS } from '@hyperclone/trainer';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/command.js';
import { trainCommand } from '../src/commands/train.js';
import { benchCommand } from '../src/commands/bench.js';
import { OPTIONS_BEGIN, OPTIONS_END, trainOptionsMarkdown } from '../src/options-doc.js';
import { hyperclone, REPO } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-flags-'));

describe('the option list and --help', () => {
  it('docs/training.md lists the options as the table has them (npm run docs:options rewrites it)', () => {
    const page = readFileSync(join(REPO, 'docs', 'training.md'), 'utf8');
    const block = page.slice(page.indexOf(OPTIONS_BEGIN) + OPTIONS_BEGIN.length, page.indexOf(OPTIONS_END)).trim();
    expect(page).toContain(OPTIONS_BEGIN);
    expect(block).toBe(trainOptionsMarkdown());
    for (const key of Object.keys(TRAIN_OPTIONS)) expect(block).toContain(`| \`${key}\` |`);
  });

  it('hyperclone train --help: the usage and one line per flag with its help line and default', async () => {
    const r = await hyperclone(['train', '--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^usage: hyperclone train --data DIR --out RUN \(--model <preset\|config.json> \| --init CKPT\) /);
    for (const row of Object.values(TRAIN_OPTIONS)) {
      if (!row.flag) continue;
      const flag = `--${row.flag.name}${row.flag.arg ? ` ${row.flag.arg}` : ''}`;
      expect(lines[1]).toContain(flag);
      const line = lines.find((l) => l.startsWith(`  ${flag} `) || l.startsWith(`  ${flag}...`));
      expect(line, flag).toBeDefined();
      expect(line).toContain(row.help.replace(/`/g, ''));
    }
    expect(r.stdout).toMatch(/^ {2}--steps N +optimizer steps \(default: 1000\)$/m);
    for (const flag of [
      '--model',
      '--init',
      '--backend',
      '--device',
      '--threads',
      '--autocast',
      '--target-loss',
      '--target-acc',
      '--target-task',
    ])
      expect(lines.some((l) => l.startsWith(`  ${flag} `))).toBe(true);
    expect(r.stdout).toMatch(/must match the saved run \(so must the model\): --data, --steps, .*--sampler\.$/m);
  }, 60_000);

  it('bench --help: the training flags it shares come with the same help lines', () => {
    expect(benchCommand.help).toMatch(/^ {2}--batch-size B +sequences per micro-batch, over all processes .*\(default: 16\)$/m);
    expect(benchCommand.help).toMatch(
      /^ {2}--small-schedule cosine\|wsd\|constant +the small model's own schedule \(default: schedule\)$/m,
    );
  });
});

describe('hyperclone train: flag values', () => {
  const out = join(root, 'never');
  const base = ['--data', join(root, 'nodata'), '--out', out, '--model', 'tiny'];
  const refusals: [string[], RegExp][] = [
    [['--steps', '-1'], /^--steps must be an integer >= 1 \(got "-1"\)/],
    [['--warmup', '-5'], /^--warmup must be an integer >= 0 \(got "-5"\)/],
    [['--lr', '-1'], /^--lr must be a number > 0 \(got "-1"\)/],
    [['--beta1', '1'], /^--beta1 must be a number >= 0 and < 1 \(got "1"\)/],
    [['--decay-fraction', '0'], /^--decay-fraction must be a number > 0 and <= 1 \(got "0"\)/],
    [['--schedule', 'linear'], /^--schedule must be cosine, wsd or constant \(got "linear"\)/],
    [['--precision', 'fp16'], /^--precision must be fp32, tf32 or bf16 \(got "fp16"\)/],
    [['--peak-tflops', '-3'], /^--peak-tflops must be a number > 0 \(got "-3"\)/],
    [['--eval-windows', ''], /^--eval-windows must be an integer >= 1 \(got ""\)/],
    [['--autocast', 'fp16'], /^--autocast must be none or bf16 \(got "fp16"\)/],
    [
      ['--activation-checkpointing', 'every-0'],
      /^--activation-checkpointing must be none, blocks or every-N \(N a positive integer\) \(got "every-0"\)$/,
    ],
    [['--activation-checkpointing', 'layers'], /^--activation-checkpointing must be none, blocks or every-N/],
    [['--autocast', 'bf16'], /^--autocast bf16 needs the torch backend on a GPU \(--device cuda\); on the CPU every op runs in float32$/],
    [['--autocast', 'bf16', '--device', 'cuda', '--backend', 'tfjs'], /^--autocast bf16 needs the torch backend on a GPU/],
  ];

  it.each(refusals)('%j is a usage error (exit 2) before anything is read or written', async (flags, reason) => {
    await expect(trainCommand.run([...base, ...flags])).rejects.toSatisfy(
      (e: CliError) => e instanceof CliError && e.exitCode === 2 && reason.test(e.message),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--steps -1 from the command line: one line, exit 2', async () => {
    const r = await hyperclone(['train', ...base, '--steps', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hyperclone: error: --steps must be an integer >= 1 (got "-1")\n');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
