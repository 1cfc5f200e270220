// nanoGPT's own CPU config, raced: `hyperclone train --backend torch` against the plain PyTorch reference in
// nanoGPT's training loop, on shakespeare_char's "baby GPT" (4 layers, 4 heads, 128 wide, block 64, batch 12,
// 2,000 iterations, lr 1e-3 cosine to 1e-4, warmup 100, beta2 0.99, dropout 0), alternating which runs first
// each round. Reports tokens/s per step (median step) and each run's loss on the full validation split.
// Not a convergence study (one seed per run) and not the stripped step (throughput.ts).
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/nanogpt.ts [--corpus builtin:shakespeare] \
//     [--data DIR] [--iters 2000] [--rounds 3] [--threads 2] [--seed 1337] [--python /usr/bin/python3]
//     [--out benchmarks/results/nanogpt-cpu.json] [-- extra hyperclone train flags]
//
// --corpus: the text (default builtin:shakespeare, Tiny Shakespeare as nanoGPT's input.txt; or a file), prepared
// byte by byte here; --data: a prepared byte-level dataset instead. Both sides run in this environment (its
// OPENBLAS_CORETYPE, if any, picks both sides' GEMM kernels) with OMP_WAIT_POLICY=PASSIVE, the torch backend's
// setting for idle OpenMP threads.

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { trainFlopsPerToken } from '@hyperclone/core';
import { createTorchBackend } from '@hyperclone/backend-torch';
import { babyConfig, BABY_GPT } from './nanogpt/baby-gpt.js';
import { raceData } from './nanogpt/corpus.js';
import { runHyperclone, runReference, type RunResult, type RunSettings } from './nanogpt/runs.js';
import { int, readFlags, string } from './flags.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  const f = readFlags(
    'benchmarks/nanogpt.ts',
    {
      corpus: string(), // default (raceData's): builtin:shakespeare
      data: string(),
      iters: int(BABY_GPT.iters),
      rounds: int(3),
      threads: int(2),
      seed: int(1337),
      python: string('/usr/bin/python3'),
      out: string('benchmarks/results/nanogpt-cpu.json'),
    },
    { tail: 'extra hyperclone train flags' },
  );
  const { rounds, threads } = f;
  const data = await raceData({ corpus: f.corpus, dataset: f.data });
  const evalBackend = await createTorchBackend({ device: 'cpu', threads });
  const referenceEnv: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE' };
  const settings: RunSettings = {
    data,
    config: babyConfig(data.vocabSize),
    iters: f.iters,
    threads,
    seed: f.seed,
    python: f.python,
    referenceEnv,
    extra: f.tail,
  };
  const out = resolve(f.out);
  console.log(
    `nanoGPT's baby GPT on ${data.source} (vocabulary ${data.vocabSize}, ${data.trainTokens} train / ${data.valTokens} val tokens), ` +
      `${settings.iters} iterations, ${threads} threads, ${rounds} rounds; OPENBLAS_CORETYPE ${process.env['OPENBLAS_CORETYPE'] ?? 'unset'}`,
  );
  const runs: { round: number; first: string; hyperclone: RunResult; pytorch: RunResult }[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const oursFirst = round % 2 === 1;
      let ours: RunResult | null = null;
      let ref: RunResult | null = null;
      for (const side of oursFirst ? ['hyperclone', 'pytorch'] : ['pytorch', 'hyperclone']) {
        if (side === 'hyperclone') ours = await runHyperclone(settings, evalBackend);
        else ref = runReference(settings);
        const r = side === 'hyperclone' ? ours! : ref!;
        console.log(
          `  round ${round} ${side.padEnd(10)} ${r.tokensPerSecPerStep.toFixed(0).padStart(6)} tokens/s per step (median step ${r.medianStepMs.toFixed(1)} ms), ` +
            `train ${r.trainSec.toFixed(0)} s, val loss ${r.valLoss.toFixed(4)}`,
        );
      }
      runs.push({ round, first: oursFirst ? 'hyperclone' : 'pytorch', hyperclone: ours!, pytorch: ref! });
    }
  } finally {
    evalBackend.close();
  }
  const ratios = runs.map((r) => r.hyperclone.tokensPerSecPerStep / r.pytorch.tokensPerSecPerStep);
  const summary = {
    command: `benchmarks/nanogpt.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    corpus: data.source,
    vocabSize: data.vocabSize,
    config: settings.config,
    training: { ...BABY_GPT, iters: settings.iters, seed: settings.seed },
    threads,
    openBlasCoreType: process.env['OPENBLAS_CORETYPE'] ?? null,
    flopsPerToken: trainFlopsPerToken(settings.config, BABY_GPT.seqLen),
    load: loadavg().map((x) => Math.round(x * 100) / 100),
    perRoundRatio: ratios,
    medianRatio: median(ratios),
    valLoss: { hyperclone: runs.map((r) => r.hyperclone.valLoss), pytorch: runs.map((r) => r.pytorch.valLoss) },
    runs: runs.map((r) => ({
      ...r,
      hyperclone: { ...r.hyperclone, stepMs: r.hyperclone.stepMs.map((x) => Math.round(x * 100) / 100) },
      pytorch: { ...r.pytorch, stepMs: r.pytorch.stepMs.map((x) => Math.round(x * 100) / 100) },
    })),
  };
  console.log(
    `\nhyperclone train / PyTorch, tokens/s per step: ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${summary.medianRatio.toFixed(2)}x)` +
      `\nfull validation loss: hyperclone ${summary.valLoss.hyperclone.map((x) => x.toFixed(4)).join(' ')}, PyTorch ${summary.valLoss.pytorch.map((x) => x.toFixed(4)).join(' ')}`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(`nanogpt: ${(e as Error).message}`);
  process.exit(1);
});
