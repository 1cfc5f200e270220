// Data parallel on this machine: `hyperclone train` tokens/s of 1 process x T threads against N processes
// x T/N threads (same model, same global batch), in alternating rounds; and c10d Gloo all-reduce time for
// gradient-sized buffers against a plain memory copy. Not a convergence test (a few steps, random init).
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/data-parallel.ts \
//     [--preset cpu-128] [--batch 8] [--seq 256] [--steps 12] [--rounds 3] [--nproc 2] [--threads 2]
//     [--sizes-mb 1,4,25,100] [--reps 5] [--out benchmarks/results/data-parallel-cpu.json]
//
// Throughput: the median over steps 3.. of tokensPerStep / stepSeconds from rank 0's metrics.jsonl (a
// step's time on rank 0 includes waiting for the all-reduce). Data: Tiny Shakespeare, byte tokenizer.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { int, readFlags, string } from './flags.js';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'packages/cli/dist/main.js');

const flags = readFlags('benchmarks/data-parallel.ts', {
  preset: string('cpu-128'),
  batch: int(8),
  seq: int(256),
  steps: int(12),
  rounds: int(3),
  nproc: int(2),
  threads: int(2),
  'sizes-mb': string('1,4,25,100'), // handed to the all-reduce workers as it is
  reps: int(5),
  out: string(join(REPO, 'benchmarks/results/data-parallel-cpu.json')),
});
const o = {
  preset: flags.preset,
  batch: flags.batch,
  seq: flags.seq,
  steps: flags.steps,
  rounds: flags.rounds,
  nproc: flags.nproc,
  threads: flags.threads,
  sizesMb: flags['sizes-mb'],
  reps: flags.reps,
  out: resolve(flags.out),
};

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** tokens/s of one `hyperclone train` run: median over steps 3.. of rank 0's step rows. */
async function trainTokensPerSec(dataDir: string, work: string, nproc: number, threads: number): Promise<number> {
  const runDir = join(work, `run-${nproc}x${threads}-${Date.now()}`);
  const args = [CLI, 'train', '--data', dataDir, '--out', runDir, '--model', o.preset, '--steps', String(o.steps)];
  args.push('--batch-size', String(o.batch), '--seq-len', String(o.seq), '--threads', String(threads), '--eval-every', String(o.steps));
  args.push('--eval-windows', '4', '--backend', 'torch');
  if (nproc > 1) args.push('--nproc', String(nproc));
  await run(args);
  const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; stepSeconds: number });
  const tokensPerStep = o.batch * o.seq;
  rmSync(runDir, { recursive: true, force: true });
  return median(rows.filter((r) => r.step > 2).map((r) => tokensPerStep / r.stepSeconds));
}

interface AllReduceRow {
  sizeBytes: number;
  allReduceMs: number;
  copyMs: number | null;
}

async function allReduceRows(): Promise<AllReduceRow[]> {
  const port = await freePort();
  const worker = join(REPO, 'benchmarks/data-parallel/allreduce-worker.ts');
  const outputs = await Promise.all(
    Array.from({ length: 2 }, (_, rank) =>
      run(['--conditions=@hyperclone/source', '--import', 'tsx', worker], {
        RANK: String(rank),
        WORLD_SIZE: '2',
        MASTER_PORT: String(port),
        SIZES_MB: o.sizesMb,
        REPS: String(o.reps),
      }),
    ),
  );
  return (JSON.parse(outputs[0]!.trim()) as { rows: AllReduceRow[] }).rows;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'hc-dp-bench-'));
  try {
    const dataDir = join(work, 'data');
    await run([CLI, 'prepare', '--input', 'builtin:shakespeare', '--tokenizer', 'byte', '--out', dataDir]);
    const single: number[] = [];
    const parallel: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      single.push(await trainTokensPerSec(dataDir, work, 1, o.threads));
      parallel.push(await trainTokensPerSec(dataDir, work, o.nproc, Math.max(1, o.threads / o.nproc)));
      console.log(
        `round ${round + 1}: 1 x ${o.threads} threads ${single.at(-1)!.toFixed(0)} tokens/s, ${o.nproc} x ${Math.max(1, o.threads / o.nproc)} ${parallel.at(-1)!.toFixed(0)} tokens/s`,
      );
    }
    const rows = await allReduceRows();
    const efficiency = median(parallel) / median(single);
    const report = {
      command: `benchmarks/data-parallel.ts ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length },
      model: { preset: o.preset, batch: o.batch, seqLen: o.seq, steps: o.steps },
      throughput: {
        single: { processes: 1, threads: o.threads, tokensPerSec: median(single), rounds: single },
        parallel: { processes: o.nproc, threadsEach: Math.max(1, o.threads / o.nproc), tokensPerSec: median(parallel), rounds: parallel },
        efficiency,
      },
      allReduce: rows.map((r) => ({
        ...r,
        allReduceGBPerSec: r.sizeBytes / (r.allReduceMs / 1000) / 1e9,
        copyGBPerSec: r.copyMs === null ? null : r.sizeBytes / (r.copyMs / 1000) / 1e9,
      })),
    };
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`efficiency ${o.nproc} processes / 1: ${efficiency.toFixed(2)}`);
    for (const r of report.allReduce)
      console.log(
        `${(r.sizeBytes / 2 ** 20).toFixed(0).padStart(4)} MB: all-reduce ${r.allReduceMs.toFixed(2)} ms (${r.allReduceGBPerSec.toFixed(2)} GB/s), copy ${r.copyMs?.toFixed(2)} ms (${r.copyGBPerSec?.toFixed(2)} GB/s)`,
      );
    console.log(`wrote ${o.out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
