// Where a baby-GPT training step's time goes, side by side: hyperclone's step (trainFrom, what the CLI runs,
// replayed natively and eager) under the addon's op profile, and the PyTorch reference in nanoGPT's loop under
// PyTorch's profiler, both sorted into the same parts (nanogpt/profile-parts.ts). Not the race (nanogpt.ts).
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/nanogpt-profile.ts [--corpus builtin:shakespeare] \
//     [--data DIR] [--steps 40] [--warmup 10] [--threads 2] [--python /usr/bin/python3] [--out benchmarks/results/nanogpt-profile-cpu.json]
//
// Both profilers time every op on the main thread (wall clock), which slows a step by a few percent; the
// plain step time of each side is measured over the same number of steps just before its profile.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTorchBackend, startOpProfile, stopOpProfile, type TorchBackend } from '@hyperclone/backend-torch';
import { randomInit } from '@hyperclone/init';
import { trainFrom } from '@hyperclone/trainer';
import { babyConfig, BABY_GPT } from './nanogpt/baby-gpt.js';
import { raceData, type RaceData } from './nanogpt/corpus.js';
import { PARTS, partsPerStep, type Part, type ProfiledOp } from './nanogpt/profile-parts.js';
import { int, readFlags, string } from './flags.js';

const LOOP = fileURLToPath(new URL('reference/nanogpt-loop.py', import.meta.url));

interface SideProfile {
  label: string;
  /** Plain step time (no profiler), ms. */
  stepMs: number;
  profiledStepMs: number;
  parts: Record<Part, number>;
  topOps: { entry: string; name: string; calls: number; selfMsPerStep: number }[];
}

function side(label: string, ops: ProfiledOp[], wallUs: number, insideUs: number, steps: number, stepMs: number): SideProfile {
  const top = [...ops].sort((a, b) => b.selfUs - a.selfUs).slice(0, 25);
  return {
    label,
    stepMs,
    profiledStepMs: wallUs / 1000 / steps,
    parts: partsPerStep(ops, wallUs, insideUs, steps),
    topOps: top.map((o) => ({ entry: o.entry, name: o.name, calls: o.calls / steps, selfMsPerStep: o.selfUs / 1000 / steps })),
  };
}

/** hyperclone's step: `warmup` steps, `steps` timed plainly, then `steps` profiled. */
async function profileHyperclone(
  b: TorchBackend,
  data: RaceData,
  replay: 'on' | 'off',
  warmup: number,
  steps: number,
): Promise<SideProfile> {
  const out = mkdtempSync(join(tmpdir(), 'hc-nanogpt-profile-'));
  const g = BABY_GPT;
  let plainStart = 0;
  let plainMs = 0;
  let profile: ReturnType<typeof stopOpProfile> | null = null;
  try {
    await trainFrom(randomInit(babyConfig(data.vocabSize), { seed: 1 }), {
      data: data.dataset,
      out,
      backend: b,
      steps: warmup + 2 * steps + 1,
      batchSize: g.batchSize,
      seqLen: g.seqLen,
      lr: g.lr,
      minLr: g.minLr,
      warmup: g.warmup,
      beta1: g.beta1,
      beta2: g.beta2,
      weightDecay: g.weightDecay,
      gradClip: g.gradClip,
      evalEvery: 0,
      evalWindows: 1,
      stepReplay: replay,
      onStep: (row) => {
        if (row.step === warmup) plainStart = performance.now();
        if (row.step === warmup + steps) {
          plainMs = (performance.now() - plainStart) / steps;
          startOpProfile();
        }
        if (row.step === warmup + 2 * steps) profile = stopOpProfile();
      },
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const p = profile as ReturnType<typeof stopOpProfile> | null;
  if (!p) throw new Error('the profiled steps never ran');
  return side(`hyperclone (torch, step replay ${replay})`, p.ops, p.wallUs, p.insideUs, steps, plainMs);
}

function profileReference(
  data: RaceData,
  python: string,
  env: NodeJS.ProcessEnv,
  threads: number,
  warmup: number,
  steps: number,
): SideProfile {
  const work = mkdtempSync(join(tmpdir(), 'hc-nanogpt-profile-ref-'));
  try {
    const model = join(work, 'baby-gpt.json');
    writeFileSync(model, JSON.stringify(babyConfig(data.vocabSize)));
    const g = BABY_GPT;
    const run = spawnSync(
      python,
      [
        LOOP,
        ...['--config', model, '--train', data.trainBin, '--val', data.valBin, '--batch', String(g.batchSize), '--seq', String(g.seqLen)],
        ...['--beta2', String(g.beta2), '--threads', String(threads), '--profile-steps', String(steps), '--profile-warmup', String(warmup)],
      ],
      { encoding: 'utf8', maxBuffer: 256 << 20, env },
    );
    if (run.status !== 0) throw new Error(`the reference failed (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      torch: string;
      stepMs: number;
      wallUs: number;
      insideUs: number;
      ops: ProfiledOp[];
    };
    const blas = env['OPENBLAS_CORETYPE'];
    return side(
      `PyTorch ${r.torch} (nanoGPT's loop${blas ? `, OPENBLAS_CORETYPE=${blas}` : ''})`,
      r.ops,
      r.wallUs,
      r.insideUs,
      steps,
      r.stepMs,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const f = readFlags('benchmarks/nanogpt-profile.ts', {
    corpus: string(), // default (raceData's): builtin:shakespeare
    data: string(),
    steps: int(40),
    warmup: int(10),
    threads: int(2),
    python: string('/usr/bin/python3'),
    out: string('benchmarks/results/nanogpt-profile-cpu.json'),
  });
  const { steps, warmup, threads } = f;
  const data = await raceData({ corpus: f.corpus, dataset: f.data });
  const b = await createTorchBackend({ device: 'cpu', threads });
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE' };
  const sides: SideProfile[] = [];
  try {
    sides.push(profileReference(data, f.python, env, threads, warmup, steps));
    sides.push(await profileHyperclone(b, data, 'off', warmup, steps));
    sides.push(await profileHyperclone(b, data, 'on', warmup, steps));
  } finally {
    b.close();
  }
  const width = Math.max(...PARTS.map((p) => p.length));
  console.log(
    `\nms per step (baby GPT, batch ${BABY_GPT.batchSize} x ${BABY_GPT.seqLen}, ${threads} threads, ${steps} profiled steps each)`,
  );
  console.log(`${'part'.padEnd(width)}  ${sides.map((_, i) => `[${i + 1}]`.padStart(8)).join(' ')}`);
  for (const part of PARTS) console.log(`${part.padEnd(width)}  ${sides.map((s) => s.parts[part].toFixed(2).padStart(8)).join(' ')}`);
  console.log(`${'profiled step'.padEnd(width)}  ${sides.map((s) => s.profiledStepMs.toFixed(2).padStart(8)).join(' ')}`);
  console.log(`${'plain step (no profiler)'.padEnd(width)}  ${sides.map((s) => s.stepMs.toFixed(2).padStart(8)).join(' ')}`);
  sides.forEach((s, i) => console.log(`[${i + 1}] ${s.label}`));
  const out = resolve(f.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        command: `benchmarks/nanogpt-profile.ts ${args.join(' ')}`,
        date: new Date().toISOString(),
        threads,
        load: loadavg().map((x) => Math.round(x * 100) / 100),
        sides,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(`nanogpt-profile: ${(e as Error).message}`);
  process.exit(1);
});
