// One run of each side of the race, as child processes: `hyperclone train` (the built CLI, the command a user
// types) and the reference in nanoGPT's loop (reference/nanogpt-loop.py). Each reports its per-step wall
// times; ours is then scored on the full validation split. Not the alternation (nanogpt.ts).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, ModelConfig } from '@hyperclone/core';
import { BABY_GPT } from './baby-gpt.js';
import type { RaceData } from './corpus.js';
import { fullValidationLoss } from './full-validation.js';

export interface RunResult {
  impl: 'hyperclone' | 'pytorch';
  /** Wall milliseconds of every step (ours: between consecutive metrics.jsonl rows). */
  stepMs: number[];
  /** Median step time after the first 10 steps. */
  medianStepMs: number;
  /** batch · seq / median step time. */
  tokensPerSecPerStep: number;
  /** The training loop's whole wall time. */
  trainSec: number;
  finalTrainLoss: number;
  valLoss: number;
  valTokens: number;
  engine: string;
}

export interface RunSettings {
  data: RaceData;
  config: ModelConfig;
  iters: number;
  threads: number;
  seed: number;
  python: string;
  /** The reference's environment (this one, with the torch backend's OMP_WAIT_POLICY). */
  referenceEnv: NodeJS.ProcessEnv;
  /** Extra `hyperclone train` flags (e.g. --step-replay off). */
  extra: string[];
}

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const LOOP = fileURLToPath(new URL('../reference/nanogpt-loop.py', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function summarize(stepMs: number[]): Pick<RunResult, 'stepMs' | 'medianStepMs' | 'tokensPerSecPerStep'> {
  const medianStepMs = median(stepMs.length > 20 ? stepMs.slice(10) : stepMs);
  return { stepMs, medianStepMs, tokensPerSecPerStep: (BABY_GPT.batchSize * BABY_GPT.seqLen) / (medianStepMs / 1000) };
}

interface Row {
  step: number;
  loss: number;
  deviceHours: number;
}

/** `hyperclone train` on the race's dataset and model, then our loss on the full validation split. */
export async function runHyperclone(s: RunSettings, evalBackend: Backend): Promise<RunResult> {
  if (!existsSync(CLI_MAIN)) throw new Error(`the CLI is not built (no ${CLI_MAIN}); run npm run build`);
  const work = mkdtempSync(join(tmpdir(), 'hc-nanogpt-run-'));
  try {
    const model = join(work, 'baby-gpt.json');
    writeFileSync(model, JSON.stringify(s.config));
    const g = BABY_GPT;
    const argv = [
      ...[CLI_MAIN, 'train', '--data', s.data.dataset, '--out', join(work, 'run'), '--model', model, '--steps', String(s.iters)],
      ...['--batch-size', String(g.batchSize), '--seq-len', String(g.seqLen), '--lr', String(g.lr), '--min-lr', String(g.minLr)],
      ...['--warmup', String(g.warmup), '--schedule', 'cosine', '--beta1', String(g.beta1), '--beta2', String(g.beta2)],
      ...['--weight-decay', String(g.weightDecay), '--grad-clip', String(g.gradClip), '--seed', String(s.seed)],
      ...['--eval-every', '0', '--eval-windows', '1', '--log-every', '1', '--backend', 'torch', '--threads', String(s.threads)],
      ...s.extra,
    ];
    const started = performance.now();
    const run = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0)
      throw new Error(`hyperclone train failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-6).join('\n')}`);
    const commandSec = (performance.now() - started) / 1000;
    const rows = readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    // each row's wall time since the previous one (the first step: since the loop started, deviceHours 0)
    const stepMs = rows.map((r, i) => (r.deviceHours - (i > 0 ? rows[i - 1]!.deviceHours : 0)) * 3_600_000);
    const summary = JSON.parse(readFileSync(join(work, 'run', 'summary.json'), 'utf8')) as { engine?: string; checkpoint: string };
    const val = await fullValidationLoss(evalBackend, join(work, 'run', summary.checkpoint), s.data.valBin, BABY_GPT.seqLen);
    return {
      impl: 'hyperclone',
      ...summarize(stepMs),
      trainSec: rows.at(-1)!.deviceHours * 3600,
      finalTrainLoss: rows.at(-1)!.loss,
      valLoss: val.loss,
      valTokens: val.tokens,
      engine: `hyperclone train (torch, ${s.threads} threads${s.extra.length ? `, ${s.extra.join(' ')}` : ''}); command ${commandSec.toFixed(0)} s`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The reference in nanoGPT's loop on the same token ids. */
export function runReference(s: RunSettings): RunResult {
  const g = BABY_GPT;
  const work = mkdtempSync(join(tmpdir(), 'hc-nanogpt-ref-'));
  try {
    const model = join(work, 'baby-gpt.json');
    writeFileSync(model, JSON.stringify(s.config));
    const argv = [
      LOOP,
      ...['--config', model, '--train', s.data.trainBin, '--val', s.data.valBin, '--iters', String(s.iters)],
      ...['--batch', String(g.batchSize), '--seq', String(g.seqLen), '--lr', String(g.lr), '--min-lr', String(g.minLr)],
      ...['--warmup', String(g.warmup), '--beta1', String(g.beta1), '--beta2', String(g.beta2), '--weight-decay', String(g.weightDecay)],
      ...['--grad-clip', String(g.gradClip), '--threads', String(s.threads), '--seed', String(s.seed)],
    ];
    const run = spawnSync(s.python, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env: s.referenceEnv });
    if (run.error) throw new Error(`cannot run ${s.python} (${run.error.message}); install python3-torch or pass --python`);
    if (run.status !== 0)
      throw new Error(`the reference failed (exit ${run.status}):\n${run.stderr.trim().split('\n').slice(-8).join('\n')}`);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      torch: string;
      stepMs: number[];
      trainWallSec: number;
      finalTrainLoss: number;
      valLoss: number;
      valTokens: number;
    };
    const blas = s.referenceEnv['OPENBLAS_CORETYPE'];
    return {
      impl: 'pytorch',
      ...summarize(out.stepMs),
      trainSec: out.trainWallSec,
      finalTrainLoss: out.finalTrainLoss,
      valLoss: out.valLoss,
      valTokens: out.valTokens,
      engine: `PyTorch ${out.torch} (nanoGPT's loop, ${s.threads} threads${blas ? `, OPENBLAS_CORETYPE=${blas}` : ''})`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
