// Times `hyperclone train` the way a user runs it: the built CLI as a child process on a prepared dataset,
// tokens/s from the wall clock between metrics.jsonl rows after the warmup steps (start-up, the final
// evaluation and checkpoint excluded). Not the stripped step (train-loop.ts) and not the CLI itself.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDataset } from '@hyperclone/data';

export interface CliTrainOptions {
  preset: string;
  batch: number;
  seq: number;
  steps: number;
  warmup: number;
  threads: number;
  device: 'cpu' | 'cuda';
  /** A prepared dataset (hyperclone prepare) whose vocabulary fits the preset. */
  data: string;
  /** Extra `hyperclone train` flags. */
  extra?: string[];
  /** The CLI entry point (default: this checkout's packages/cli/dist/main.js). */
  cli?: string;
}

export interface CliTiming {
  steps: number;
  /** Wall-clock seconds of the timed steps, logging and progress display included. */
  wallSec: number;
  stepMs: number;
  tokensPerSec: number;
  /** The trainer's own figure: median metrics.jsonl tokensPerSec over the timed rows (step time only). */
  trainerTokensPerSec: number;
  finalLoss: number;
  /** The whole command, start-up and the final evaluation and checkpoint included. */
  commandSec: number;
}

interface Row {
  step: number;
  loss: number;
  tokensPerSec: number;
  deviceHours: number;
}

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

/** Byte-level Tiny Shakespeare in a temp folder (fits every byte-vocabulary preset); the caller removes it. */
export async function prepareByteShakespeare(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'hc-throughput-data-')), 'ts-byte');
  await prepareDataset({ inputs: ['builtin:shakespeare'], tokenizer: 'byte', out });
  return out;
}

/** Runs warmup + steps + 1 steps, logging every step; the last one (it evaluates) is not timed. */
export function timeCliTrain(o: CliTrainOptions): CliTiming {
  const cli = o.cli ?? CLI_MAIN;
  if (!existsSync(cli)) throw new Error(`the CLI is not built (no ${cli}); run npm run build`);
  const work = mkdtempSync(join(tmpdir(), 'hc-throughput-run-'));
  const total = o.warmup + o.steps + 1;
  const argv = [
    ...[cli, 'train', '--data', o.data, '--out', join(work, 'run'), '--model', o.preset, '--steps', String(total)],
    ...['--batch-size', String(o.batch), '--seq-len', String(o.seq), '--log-every', '1', '--eval-every', String(total)],
    ...['--eval-windows', '1', '--backend', 'torch', '--device', o.device, '--threads', String(o.threads), ...(o.extra ?? [])],
  ];
  const started = performance.now();
  try {
    const run = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const commandSec = (performance.now() - started) / 1000;
    if (run.status !== 0)
      throw new Error(`hyperclone train failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-6).join('\n')}`);
    const rows = readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    if (rows.length !== total) throw new Error(`expected ${total} metrics rows, got ${rows.length}`);
    const first = rows[o.warmup - 1];
    const timed = rows.slice(o.warmup, o.warmup + o.steps);
    const wallSec = (timed.at(-1)!.deviceHours - (first?.deviceHours ?? 0)) * 3600;
    const sorted = timed.map((r) => r.tokensPerSec).sort((a, b) => a - b);
    return {
      steps: o.steps,
      wallSec,
      stepMs: (1000 * wallSec) / o.steps,
      tokensPerSec: (o.batch * o.seq * o.steps) / wallSec,
      trainerTokensPerSec: sorted[Math.floor((sorted.length - 1) / 2)]!,
      finalLoss: timed.at(-1)!.loss,
      commandSec,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
