// `hyperclone bench`: refusals of bad input, in a child process run from source through tsx (the
// one-line reason on stderr and the exit code) and in-process. Not the benchmark itself (@hyperclone/bench's tests).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { prepareDataset } from '@hyperclone/data';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../src/command.js';
import { hyperclone } from './run-cli.js';
import { benchCommand } from '../src/commands/bench.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// a dataset path that need not exist: every refusal below comes before the data is opened
const base = (out: string) => ['--data', join(root, 'data'), '--out', out];

const cases: [string, (out: string) => string[], RegExp][] = [
  [
    'an unknown benchmark name',
    (out) => ['bench', 'clone-vs-ranodm', ...base(out), '--small', 'tiny', '--width', '2'],
    /^hyperclone: error: unknown benchmark "clone-vs-ranodm"; available: clone-vs-random \(or report, to redo a finished one's numbers\)$/,
  ],
  [
    'an unknown variant',
    (out) => ['bench', 'clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--variants', 'noisy-symmetric,sideways'],
    /^hyperclone: error: --variants: arm "sideways": unknown variant "sideways"; an arm is a variant \(symmetric, noisy-symmetric/,
  ],
  [
    'new blocks placed without a depth growth',
    (out) => ['bench', 'clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--variants', 'symmetric+stack'],
    /^hyperclone: error: --variants: arm "symmetric\+stack": \+stack places new blocks, which needs a depth growth \(--depth 2 or more\)$/,
  ],
  [
    'a staged arm that cannot be read',
    (out) => ['bench', 'clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--stages', '300:width=2;600:height=2'],
    /^hyperclone: error: --stages: "600:height=2": unknown key "height"/,
  ],
  [
    'a missing --small',
    (out) => ['bench', 'clone-vs-random', ...base(out), '--width', '2'],
    /^hyperclone: error: missing required flag --small$/,
  ],
  [
    'a non-integer --width',
    (out) => ['bench', 'clone-vs-random', ...base(out), '--small', 'tiny', '--width', '1.5'],
    /^hyperclone: error: --width must be an integer >= 1 \(got "1.5"\)$/,
  ],
];

describe('hyperclone bench: bad input', () => {
  it.each(cases)(
    '%s: a one-line reason (plus at most the usage line), exit 2, nothing in --out',
    async (name, args, reason) => {
      const out = join(root, `never-${name.replace(/\W+/g, '-')}`);
      const r = await hyperclone(args(out));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(reason);
      // nothing but the usage may follow the reason
      expect(lines.slice(1).every((l) => l.startsWith('usage: hyperclone bench clone-vs-random '))).toBe(true);
      expect(lines.length).toBeLessThanOrEqual(2);
      expect(existsSync(out)).toBe(false);
    },
    60_000,
  );

  it('refuses the same input in-process with a CliError of exit code 2, before writing anything', async () => {
    const out = join(root, 'never-in-process');
    for (const [, args, reason] of cases) {
      const argv = args(out).slice(1); // the command's own arguments
      await expect(benchCommand.run(argv)).rejects.toSatisfy(
        (e: CliError) => e instanceof CliError && e.exitCode === 2 && reason.test(`hyperclone: error: ${e.message.split('\n')[0]}`),
      );
    }
    await expect(benchCommand.run(['clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--tie', 'loose'])).rejects.toThrow(
      /--tie must be keep or untie \(got "loose"\)/,
    );
    await expect(
      benchCommand.run(['clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--schedule', 'linear']),
    ).rejects.toThrow(/--schedule must be cosine, wsd or constant \(got "linear"\)/);
    await expect(
      benchCommand.run(['clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--small-schedule', 'step']),
    ).rejects.toThrow(/--small-schedule must be cosine, wsd or constant \(got "step"\)/);
    await expect(
      benchCommand.run(['clone-vs-random', ...base(out), '--small', 'tiny', '--width', '2', '--target-acc', '0.5', '--target-loss', '2']),
    ).rejects.toThrow(/give --target-loss or --target-acc, not both/);
    await expect(benchCommand.run(['clone-vs-random', ...base(out), '--small', 'tiny', '--width', '0'])).rejects.toThrow(
      /--width must be an integer >= 1 \(got "0"\)/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('hyperclone bench: --out', () => {
  it('an unknown task is refused in one line listing the built-in ones, before the data is read or --out made', async () => {
    const out = join(root, 'never-unknown-task');
    const r = await hyperclone([
      'bench',
      'clone-vs-random',
      ...base(out),
      '--small',
      'tiny',
      '--width',
      '2',
      '--task',
      'arc-easy',
      '--task',
      'hellaswg',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'hyperclone: error: unknown task "hellaswg": the built-in tasks are arc-easy, hellaswag; or give a JSONL file ({query, choices, gold} per line)',
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('a finished training run as --out is refused in one line, its files untouched and no bench.log written', async () => {
    const data = join(root, 'bytes');
    const text = join(root, 'text.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog\n'.repeat(400));
    await prepareDataset({ inputs: [text], tokenizer: 'byte', out: data });
    const run = join(root, 'a-run');
    mkdirSync(run);
    writeFileSync(join(run, 'config.json'), '{"format":"hyperclone-run"}\n');
    writeFileSync(join(run, 'summary.json'), '{"steps":10}\n');
    const r = await hyperclone([
      'bench',
      'clone-vs-random',
      '--data',
      data,
      '--out',
      run,
      '--small',
      'tiny',
      '--width',
      '2',
      '--backend',
      'tfjs',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`hyperclone: error: ${run} is not empty and holds no benchmark (no bench.json); choose a new or empty folder\n`);
    expect(readdirSync(run).sort()).toEqual(['config.json', 'summary.json']);
    expect(readFileSync(join(run, 'summary.json'), 'utf8')).toBe('{"steps":10}\n');
  }, 60_000);
});
