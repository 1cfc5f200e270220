// Where the milliseconds of a `hyperclone train` step go: runs the CLI under V8's sampling profiler and
// sorts the main thread's samples into the parts of a step. Not a throughput benchmark (throughput.ts).
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/step-profile.ts --data DIR \
//     [--model cpu-256] [--batch 8] [--seq 256] [--steps 30] [--threads 2] [--log-every 1] [--rounds 1] \
//     [--variants LABEL=CLI_MAIN_JS,...] [--out FILE.json] [-- extra hyperclone train flags]
//
// --variants profiles other builds of the CLI (e.g. an older commit's packages/cli/dist/main.js) in
// alternating rounds; the default is this checkout's, labelled "current". Each part's figure is the median
// over the rounds. Native calls show up as the JavaScript function that made them (the addon's frames are
// invisible to V8), so `backward` is the time inside valueAndGrad's libtorch backward pass, `forward`
// everything the model's forward called, and so on. Times are wall-clock on the main thread, which runs
// every libtorch op.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { categorize, PARTS, type Frame } from './step-profile/categories.js';
import { int, list, readFlags, required, string } from './flags.js';

interface Options {
  data: string;
  model: string;
  batch: number;
  seq: number;
  steps: number;
  threads: number;
  logEvery: number;
  rounds: number;
  variants: { label: string; cli: string }[];
  out: string;
  extra: string[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function parseOptions(): Options {
  const f = readFlags(
    'benchmarks/step-profile.ts',
    {
      data: required(string(), 'DIR'),
      model: string('cpu-256'),
      batch: int(8),
      seq: int(256),
      steps: int(30),
      threads: int(2),
      'log-every': int(1),
      rounds: int(1),
      variants: list(`current=${fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url))}`),
      out: string('benchmarks/results/step-profile-cpu.json'),
    },
    { tail: 'extra hyperclone train flags' },
  );
  return {
    data: resolve(f.data),
    model: f.model,
    batch: f.batch,
    seq: f.seq,
    steps: f.steps,
    threads: f.threads,
    logEvery: f['log-every'],
    rounds: f.rounds,
    variants: parseVariants(f.variants),
    out: resolve(f.out),
    extra: f.tail,
  };
}

function parseVariants(variants: string[]): { label: string; cli: string }[] {
  return variants.map((v) => {
    const [label, cli] = v.split('=');
    if (!label || !cli) throw new Error(`--variants takes LABEL=PATH/TO/cli/dist/main.js,... (got ${v})`);
    return { label, cli: resolve(cli) };
  });
}

/** Runs `hyperclone train` under --cpu-prof and returns the profile and the run directory. */
function profileTrain(o: Options, main: string, work: string): { profile: CpuProfile; runDir: string; argv: string[] } {
  const runDir = join(work, 'run');
  const argv = [
    'train',
    ...['--data', o.data, '--out', runDir, '--model', o.model, '--steps', String(o.steps)],
    ...['--batch-size', String(o.batch), '--seq-len', String(o.seq), '--backend', 'torch', '--threads', String(o.threads)],
    ...['--log-every', String(o.logEvery), '--eval-every', String(o.steps), '--eval-windows', '4'],
    ...o.extra,
  ];
  const profDir = join(work, 'prof');
  const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '500', main, ...argv], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`hyperclone train failed (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node wrote no .cpuprofile into ${profDir}`);
  return { profile: JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, runDir, argv };
}

/** Milliseconds per part over the steps: samples from the first to the last one inside the training loop. */
function attribute(p: CpuProfile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): Frame[] => {
    const frames: Frame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      frames.push({ name: f.functionName, file: f.url.split('/').at(-1) ?? '' });
    }
    return frames; // leaf first
  };
  const parts = p.samples.map((id) => categorize(stackOf(id)));
  const first = parts.findIndex((c) => c !== null && c !== 'between steps');
  const last = parts.length - 1 - [...parts].reverse().findIndex((c) => c !== null && c !== 'between steps');
  const ms = new Map<string, number>();
  for (let i = first; i <= last; i++) {
    const part = parts[i] ?? 'between steps';
    ms.set(part, (ms.get(part) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return ms;
}

function table(results: VariantResult[]): string {
  const total = (r: VariantResult) => Object.values(r.perStepMs).reduce((a, b) => a + b, 0);
  const header = `| part of the step | ${results.map((r) => `${r.label} ms/step | share`).join(' | ')} |`;
  const rule = `| --- | ${results.map(() => '---: | ---:').join(' | ')} |`;
  const rows = PARTS.filter((part) => results.some((r) => (r.perStepMs[part] ?? 0) >= 0.05)).map((part) => {
    const cells = results.map(
      (r) => `${(r.perStepMs[part] ?? 0).toFixed(1)} | ${((100 * (r.perStepMs[part] ?? 0)) / total(r)).toFixed(1)}%`,
    );
    return `| ${part} | ${cells.join(' | ')} |`;
  });
  const sum = `| **total** | ${results.map((r) => `**${total(r).toFixed(1)}** |`).join(' | ')} |`;
  return [header, rule, ...rows, sum].join('\n');
}

interface VariantResult {
  label: string;
  cli: string;
  /** Median over the rounds, per part. */
  perStepMs: Record<string, number>;
  rounds: { perStepMs: Record<string, number>; lastTokensPerSec: number }[];
}

/** One profiled run of a variant: ms per step by part, and the last row's tokens/s. */
function profileOnce(o: Options, cli: string): { perStepMs: Record<string, number>; lastTokensPerSec: number; argv: string[] } {
  const work = mkdtempSync(join(tmpdir(), 'hc-step-profile-'));
  try {
    const { profile, runDir, argv } = profileTrain(o, cli, work);
    const perStepMs = Object.fromEntries([...attribute(profile)].map(([k, v]) => [k, v / o.steps]));
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const last = JSON.parse(rows.at(-1)!) as { tokensPerSec: number };
    return { perStepMs, lastTokensPerSec: last.tokensPerSec, argv: argv.map((a) => a.replace(work, '$TMP')) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

function main(): void {
  const o = parseOptions();
  const results: VariantResult[] = o.variants.map((v) => ({ ...v, perStepMs: {}, rounds: [] }));
  let argv: string[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const r of results) {
      const once = profileOnce(o, r.cli);
      argv = once.argv;
      r.rounds.push({ perStepMs: once.perStepMs, lastTokensPerSec: once.lastTokensPerSec });
      const total = Object.values(once.perStepMs).reduce((a, b) => a + b, 0);
      console.log(`round ${round} ${r.label}: ${total.toFixed(1)} ms/step, last row ${once.lastTokensPerSec.toFixed(0)} tokens/s`);
    }
  }
  for (const r of results) {
    for (const part of PARTS) r.perStepMs[part] = medianOf(r.rounds.map((x) => x.perStepMs[part] ?? 0));
  }
  console.log(`\nhyperclone ${argv.join(' ')}\n`);
  console.log(table(results));
  const out = {
    command: `benchmarks/step-profile.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    load: loadavg().map((x) => Math.round(x * 100) / 100),
    train: argv,
    steps: o.steps,
    variants: results.map((r) => ({ ...r, cli: relative(process.cwd(), r.cli) })),
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${o.out}`);
}

try {
  main();
} catch (e) {
  console.error(`step-profile: ${(e as Error).message}`);
  process.exit(1);
}
