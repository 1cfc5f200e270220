// ZeRO's memory, measured: the trainer's step and reductions on N real processes (Gloo, 1 thread each) with
// --zero-stage 0, 1 and 2 (and activation checkpointing), every rank counting libtorch's allocations from its
// start: the moments' bytes per rank, each rank's peak against the memory plan's per-rank numbers, and the
// time per step. Results in benchmarks/results/zero-memory-cpu.json. Not a throughput benchmark.
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/zero-memory.ts \
//     [--model cpu-512] [--nproc 2,4] [--batch 8] [--seq 64] [--steps 4] [--checkpointing none] [--out FILE.json]
//
// --nproc and --checkpointing take comma lists (e.g. --checkpointing none,blocks): every pair runs stages 0, 1 and 2.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { checkpointEvery, countParams, getPreset, withVocab } from '@hyperclone/core';
import { int, ints, list, readFlags, string } from './flags.js';

const REPO = resolve(import.meta.dirname, '..');
const WORKER = join(REPO, 'benchmarks/zero-memory/rank-worker.ts');

const f = readFlags('benchmarks/zero-memory.ts', {
  model: string('cpu-512'),
  nproc: ints('2,4'),
  batch: int(8),
  seq: int(64),
  steps: int(4),
  checkpointing: list('none'),
  out: string('benchmarks/results/zero-memory-cpu.json'),
});
const { model, batch, seq, steps } = f;
const nprocs = f.nproc;
const checkpointings = f.checkpointing;
checkpointings.forEach((m) => checkpointEvery(m)); // refuse a bad mode before the ranks start
const out = resolve(f.out);

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

interface RankReport {
  rank: number;
  momentBytes: number;
  peakBytes: number;
  steadyBytes: number;
  plan: { weights: number; gradients: number; moments: number; activations: number };
  planBytes: number;
  maxRssBytes: number;
  msPerStep: number;
  losses: number[];
}

async function runRanks(nproc: number, stage: number, checkpointing: string): Promise<RankReport[]> {
  const port = await freePort();
  return Promise.all(
    Array.from(
      { length: nproc },
      (_, rank) =>
        new Promise<RankReport>((done, fail) => {
          const env = {
            ...process.env,
            ...{ RANK: String(rank), WORLD_SIZE: String(nproc), MASTER_PORT: String(port), ZERO_STAGE: String(stage) },
            ...{ MODEL: model, BATCH: String(batch), SEQ: String(seq), STEPS: String(steps), CHECKPOINTING: checkpointing },
          };
          const child = spawn(process.execPath, ['--conditions=@hyperclone/source', '--import', 'tsx', WORKER], {
            cwd: REPO,
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += String(d)));
          child.stderr.on('data', (d) => (stderr += String(d)));
          child.on('close', (code) => {
            if (code !== 0) return fail(new Error(`rank ${rank} exited ${code}: ${stderr.trim().split('\n').at(-1)}`));
            done(JSON.parse(stdout.trim().split('\n').at(-1)!) as RankReport);
          });
        }),
    ),
  );
}

const MB = 1e6;
const config = withVocab(getPreset(model), 257);
const rows: Record<string, unknown>[] = [];
console.log(
  `${model} (${countParams(config).toLocaleString('en-US')} parameters), batch ${batch} x ${seq}, ${steps} steps, 1 thread per rank`,
);
console.log(
  '| ranks | zero stage | checkpointing | moments per rank (measured) | peak per rank (measured) | plan per rank | plan / peak | time per step |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const nproc of nprocs) {
  for (const checkpointing of checkpointings) {
    let unsharded = 0;
    for (const stage of [0, 1, 2]) {
      const ranks = await runRanks(nproc, stage, checkpointing);
      const moments = Math.max(...ranks.map((r) => r.momentBytes));
      const peak = Math.max(...ranks.map((r) => r.peakBytes));
      const plan = Math.max(...ranks.map((r) => r.planBytes));
      if (stage === 0) unsharded = moments;
      const ms = Math.max(...ranks.map((r) => r.msPerStep));
      console.log(
        `| ${nproc} | ${stage} | ${checkpointing} | ${(moments / MB).toFixed(1)} MB (${(moments / unsharded).toFixed(3)}x) | ` +
          `${(peak / MB).toFixed(1)} MB | ${(plan / MB).toFixed(1)} MB | ${(plan / peak).toFixed(2)} | ${ms.toFixed(0)} ms |`,
      );
      rows.push({ nproc, zeroStage: stage, checkpointing, momentsOverUnsharded: moments / unsharded, planOverPeak: plan / peak, ranks });
    }
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      command: `benchmarks/zero-memory.ts ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(),
      load: loadavg().map((x) => Math.round(x * 100) / 100),
      model: { preset: model, vocabSize: 257, params: countParams(config) },
      batch,
      seqLen: seq,
      steps,
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${relative(process.cwd(), out)}`);
