// Training throughput, three ways in one run: hyperclone on torch, hyperclone on tfjs, and plain PyTorch.
// Not a convergence test: the same GPT config, batch and AdamW for a fixed number of steps, timed.
//
//   npx tsx --conditions=@hyperclone/source benchmarks/throughput.ts \
//     [--presets cpu-128,cpu-256] [--batch 8] [--seq 256] [--steps 10] [--warmup 2] [--rounds 3]
//     [--threads N] [--impls torch,tfjs,pytorch] [--tfjs-steps 3] [--device cpu|cuda] [--autocast bf16|none]
//     [--python /usr/bin/python3] [--peak-tflops X] [--out FILE.json]
//
// A step = core forward + crossEntropyLoss under valueAndGrad + fused AdamW (decay on 2-D weights), on one
// fixed random batch; the reference does the same in PyTorch (benchmarks/reference/gpt.py, train_steps).
// torch and PyTorch alternate for --rounds rounds and the median is reported, so both see the same load.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { resolveConfig, trainFlopsPerToken, type Backend, type ModelConfig, type StateDict } from '@hyperclone/core';
import { randomWeights } from '@hyperclone/init';
import { createTorchBackend, type TorchBackend } from '@hyperclone/backend-torch';
import { runPytorchReference } from './throughput/pytorch-reference.js';
import { formatPresetReport, median, type ImplResult, type PresetReport } from './throughput/report.js';
import { timeTrainingSteps } from './throughput/train-loop.js';

type Impl = 'torch' | 'tfjs' | 'pytorch';

interface Options {
  presets: string[];
  batch: number;
  seq: number | null;
  steps: number;
  warmup: number;
  rounds: number;
  threads: number;
  impls: Impl[];
  tfjsSteps: number;
  device: 'cpu' | 'cuda';
  autocast: boolean;
  python: string;
  peakTflops: number | null;
  out: string;
  referenceDir: string | undefined;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function intFlag(name: string, fallback: number): number {
  const raw = flag(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got ${raw})`);
  return value;
}

function parseOptions(): Options {
  const device = (flag('device') ?? 'cpu') as Options['device'];
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device must be cpu or cuda (got ${device})`);
  const impls = (flag('impls') ?? 'torch,tfjs,pytorch').split(',') as Impl[];
  for (const impl of impls)
    if (!['torch', 'tfjs', 'pytorch'].includes(impl)) throw new Error(`--impls takes torch, tfjs, pytorch (got ${impl})`);
  const autocast = (flag('autocast') ?? (device === 'cuda' ? 'bf16' : 'none')) === 'bf16';
  if (autocast && device !== 'cuda') throw new Error('--autocast bf16 needs --device cuda');
  const peak = flag('peak-tflops');
  return {
    presets: (flag('presets') ?? 'cpu-128,cpu-256').split(','),
    batch: intFlag('batch', 8),
    seq: flag('seq') === undefined ? null : intFlag('seq', 1),
    steps: intFlag('steps', 10),
    warmup: intFlag('warmup', 2),
    rounds: intFlag('rounds', 3),
    threads: intFlag('threads', availableParallelism()),
    impls,
    tfjsSteps: intFlag('tfjs-steps', 3),
    device,
    autocast,
    python: flag('python') ?? '/usr/bin/python3',
    peakTflops: peak === undefined ? null : Number(peak),
    out: resolve(flag('out') ?? `benchmarks/results/throughput-${device}.json`),
    referenceDir: flag('reference-dir'),
  };
}

/** bf16 dense peaks of the GPUs we rent (TFLOP/s), for MFU; null where unknown (CPUs). */
function peakFor(deviceName: string, o: Options): number | null {
  if (o.peakTflops !== null) return o.peakTflops;
  return /H100|H200/i.test(deviceName) ? 989 : null;
}

async function openTfjs(): Promise<Backend> {
  // imported lazily: the GPU carry bundles only the torch path
  const { createTfjsBackend } = await import('@hyperclone/backend-tfjs');
  return createTfjsBackend();
}

function runOnce(impl: Impl, b: Backend | null, config: ModelConfig, weights: StateDict, seq: number, o: Options): ImplResult {
  const started = Date.now();
  if (impl === 'pytorch') {
    const r = runPytorchReference({
      python: o.python,
      config,
      batch: o.batch,
      seq,
      steps: o.steps,
      warmup: o.warmup,
      threads: o.threads,
      device: o.device,
      dtype: o.autocast ? 'bfloat16' : 'float32',
      ...(o.referenceDir ? { referenceDir: o.referenceDir } : {}),
    });
    return {
      impl,
      engine: `PyTorch ${r.torch} (${r.device}, ${r.dtype})`,
      tokensPerSec: r.tokensPerSec,
      stepMs: r.stepMs,
      finalLoss: r.finalLoss,
      steps: r.steps,
      wallSec: (Date.now() - started) / 1000,
    };
  }
  const steps = impl === 'tfjs' ? o.tfjsSteps : o.steps;
  const t = timeTrainingSteps(b!, config, weights, { batch: o.batch, seq, steps, warmup: impl === 'tfjs' ? 1 : o.warmup });
  return {
    impl,
    engine: b!.engine,
    tokensPerSec: t.tokensPerSec,
    stepMs: t.stepMs,
    finalLoss: t.finalLoss,
    steps,
    wallSec: (Date.now() - started) / 1000,
  };
}

async function benchPreset(preset: string, torch: TorchBackend | null, tfjs: Backend | null, o: Options): Promise<PresetReport> {
  const config = resolveConfig(preset);
  const seq = Math.min(o.seq ?? config.contextLength, config.contextLength);
  const weights = randomWeights(config, 0);
  const runs: Record<Impl, ImplResult[]> = { torch: [], tfjs: [], pytorch: [] };
  for (let round = 1; round <= o.rounds; round++) {
    for (const impl of o.impls) {
      if (impl === 'tfjs' && round > 1) continue; // tfjs is slow: one round
      const r = runOnce(impl, impl === 'torch' ? torch : impl === 'tfjs' ? tfjs : null, config, weights, seq, o);
      console.log(
        `  ${preset} round ${round} ${impl}: ${r.tokensPerSec.toFixed(0)} tokens/s (${r.stepMs.toFixed(1)} ms/step, loss ${r.finalLoss.toFixed(3)})`,
      );
      runs[impl].push(r);
    }
  }
  const flopsPerToken = trainFlopsPerToken(config, seq);
  const results = o.impls.map((impl) => median(runs[impl]));
  return { preset, config, batch: o.batch, seq, flopsPerToken, results, rounds: runs };
}

async function main(): Promise<void> {
  const o = parseOptions();
  const torch = o.impls.includes('torch')
    ? await createTorchBackend({ device: o.device, threads: o.threads, autocast: o.autocast ? 'bf16' : null })
    : null;
  const tfjs = o.impls.includes('tfjs') ? await openTfjs() : null;
  const deviceName = torch?.device.name ?? tfjs?.device.name ?? o.device;
  const peak = peakFor(deviceName, o);
  console.log(
    `throughput on ${deviceName}, ${o.threads} threads; batch ${o.batch}, steps ${o.steps} (+${o.warmup} warmup), rounds ${o.rounds}`,
  );
  const reports: PresetReport[] = [];
  try {
    for (const preset of o.presets) {
      const report = await benchPreset(preset, torch, tfjs, o);
      reports.push(report);
      console.log(formatPresetReport(report, peak));
    }
  } finally {
    torch?.close();
    tfjs?.close();
  }
  const summary = {
    command: `benchmarks/throughput.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    device: { kind: o.device, name: deviceName, threads: o.threads },
    peakTflops: peak,
    reports: reports.map((r) => ({ ...r, ratios: ratios(r) })),
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${o.out}`);
}

function ratios(r: PresetReport): Record<string, number> {
  const by = Object.fromEntries(r.results.map((x) => [x.impl, x.tokensPerSec]));
  const out: Record<string, number> = {};
  if (by['torch'] && by['pytorch']) out['torchOverPytorch'] = by['torch'] / by['pytorch'];
  if (by['torch'] && by['tfjs']) out['torchOverTfjs'] = by['torch'] / by['tfjs'];
  if (by['tfjs'] && by['pytorch']) out['tfjsOverPytorch'] = by['tfjs'] / by['pytorch'];
  return out;
}

main().catch((e: unknown) => {
  console.error(`throughput: ${(e as Error).message}`);
  process.exit(1);
});
