// `hyperclone train`, `eval` and `sample`: refusals in-process, Ctrl-C and --resume in a child process
// (run from source through tsx), eval --task on ARC-Easy, and sampling from the result.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../src/command.js';
import { hyperclone } from './run-cli.js';
import { latestCheckpoint, shakespeareData } from './train-runs.js';
import { evalCommand } from '../src/commands/eval.js';
import { sampleCommand } from '../src/commands/sample.js';
import { trainCommand } from '../src/commands/train.js';

const root = mkdtempSync(join(tmpdir(), 'hc-cli-train-'));
const data = shakespeareData(root);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs a command in-process, returning what it printed on stdout. */
async function capture(run: () => Promise<number | void>): Promise<{ code: number | void; stdout: string }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await run();
  vi.restoreAllMocks();
  return { code, stdout };
}

const small = [
  '--model',
  'tiny',
  '--backend',
  'tfjs',
  '--batch-size',
  '4',
  '--seq-len',
  '32',
  '--eval-windows',
  '4',
  '--peak-tflops',
  '0.01',
];

describe('hyperclone train: bad input', () => {
  it('an unknown flag is a usage error (exit 2) naming the flag', async () => {
    await expect(trainCommand.run(['--data', data, '--out', join(root, 'x'), '--bogus'])).rejects.toSatisfy(
      (e: CliError) => e instanceof CliError && e.exitCode === 2 && /Unknown option '--bogus'/.test(e.message),
    );
  });

  it('an unknown preset, a missing data directory and a non-integer step count fail without writing anything', async () => {
    const out = join(root, 'never');
    await expect(trainCommand.run(['--data', data, '--out', out, '--model', 'huge'])).rejects.toThrowError(
      /unknown model preset "huge"; choose one of: tiny/,
    );
    await expect(trainCommand.run(['--data', join(root, 'nodata'), '--out', out, '--model', 'tiny'])).rejects.toThrowError(
      /no such dataset directory/,
    );
    await expect(trainCommand.run(['--data', data, '--out', out, '--model', 'tiny', '--steps', '2.5'])).rejects.toThrowError(
      /--steps must be an integer/,
    );
    await expect(trainCommand.run(['--data', data, '--out', out])).rejects.toThrowError(
      /give --model <preset\|config.json> for a new model or --init CKPT/,
    );
    await expect(trainCommand.run(['--data', data, '--out', out, ...small, '--grow-at', '3:height=2'])).rejects.toSatisfy(
      (e: CliError) => e instanceof CliError && e.exitCode === 2 && /--grow-at "3:height=2": unknown key "height"/.test(e.message),
    );
    await expect(trainCommand.run(['--data', data, '--out', out, ...small, '--steps', '4', '--grow-at', '4:width=2'])).rejects.toThrowError(
      /growAt: a growth after step 4 leaves nothing to train in a run of 4 steps/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('hyperclone train --grow-at', () => {
  it('grows in stages (repeated flag) and records them in config.json and summary.json', async () => {
    const out = join(root, 'staged');
    const argv = ['--data', data, '--out', out, ...small, '--steps', '6', '--warmup', '1', '--eval-every', '3'];
    const { code } = await capture(() =>
      trainCommand.run([...argv, '--grow-at', '2:width=2,variant=noisy-symmetric', '--grow-at', '4:depth=2']),
    );
    expect(code).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.growAt).toEqual([
      { step: 2, width: 2, variant: 'noisy-symmetric' },
      { step: 4, depth: 2 },
    ]);
    expect(config.stages.map((s: { model: { dModel: number; nLayer: number } }) => [s.model.dModel, s.model.nLayer])).toEqual([
      [64, 2],
      [128, 2],
      [128, 4],
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.stages.map((s: { fromStep: number; toStep: number }) => [s.fromStep, s.toStep])).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
  });
});

describe('hyperclone train / eval / sample', () => {
  const run = join(root, 'run');

  it('Ctrl-C finishes the step, saves a checkpoint and exits 130; --resume continues the run', async () => {
    let signalled = false;
    const first = await hyperclone(['train', '--data', data, '--out', run, ...small, '--steps', '400', '--eval-every', '1000'], (pid) => {
      const poll = setInterval(() => {
        const metrics = join(run, 'metrics.jsonl');
        if (!signalled && existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3) {
          signalled = true;
          process.kill(pid, 'SIGINT');
          clearInterval(poll);
        }
      }, 50);
    });
    expect(first.stderr).toMatch(/SIGINT: finishing this step and saving a checkpoint/);
    expect(first.code).toBe(130);
    const stoppedAt = Number(/interrupted after step (\d+)/.exec(first.stderr)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(readdirSync(join(run, 'checkpoints'))).toContain(`step-${String(stoppedAt).padStart(8, '0')}`);
    expect(existsSync(join(run, 'train.log'))).toBe(true);
    const log = readFileSync(join(run, 'train.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(log.some((l) => l.msg === 'checkpoint saved')).toBe(true);

    const { code, stdout } = await capture(() => trainCommand.run(['--out', run, '--resume', '--stop-after', '2']));
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`stopped after step ${stoppedAt + 2} \\(--stop-after\\)`));
    const steps = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: stoppedAt + 2 }, (_, i) => i + 1));

    // a changed setting that fixes the trajectory is refused, naming each field (the model's down to the leaf)
    const config = readFileSync(join(run, 'config.json'), 'utf8');
    const refused = trainCommand.run(['--out', run, '--resume', '--lr', '0.5', '--dropout', '0.2']);
    await expect(refused).rejects.toThrow(
      /^cannot resume .*: these settings differ from the saved run: model\.dropout \(saved 0, now 0\.2\); lr \(saved 0\.001, now 0\.5\)$/,
    );
    expect(readFileSync(join(run, 'config.json'), 'utf8')).toBe(config);
  });

  it("eval --task prints loss, ppl, acc, tokens and the task's acc and accNorm as JSON", async () => {
    const ckpt = latestCheckpoint(run);
    const { code, stdout } = await capture(() =>
      evalCommand.run([
        '--checkpoint',
        ckpt,
        '--data',
        data,
        '--task',
        'arc-easy',
        '--task-limit',
        '12',
        '--eval-windows',
        '4',
        '--seq-len',
        '32',
        '--backend',
        'tfjs',
        '--json',
      ]),
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, number | { acc: number; accNorm: number; count: number }>;
    expect(Object.keys(result)).toEqual(['loss', 'ppl', 'acc', 'tokens', 'arc-easy']);
    expect(result['tokens']).toBe(4 * 32);
    expect(result['ppl']).toBeCloseTo(Math.exp(result['loss'] as number), 6);
    const arc = result['arc-easy'] as { acc: number; accNorm: number; count: number };
    expect(arc.count).toBe(12);
    for (const v of [arc.acc, arc.accNorm]) expect(Number.isInteger(Math.round(v * 12 * 1e9) / 1e9) && v >= 0 && v <= 1).toBe(true);
  });

  it('sample continues a prompt with the tokenizer recorded at training time', async () => {
    const ckpt = latestCheckpoint(run);
    const sample = (seed: string) =>
      capture(() => sampleCommand.run(['--checkpoint', ckpt, '--prompt', 'ROMEO:', '--tokens', '20', '--seed', seed, '--backend', 'tfjs']));
    const a = await sample('1');
    expect(a.code).toBe(0);
    expect(a.stdout.startsWith('ROMEO:')).toBe(true);
    expect((await sample('1')).stdout).toBe(a.stdout);
  });
});
