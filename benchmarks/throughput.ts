// Training throughput in one run: hyperclone's stripped step on torch and on tfjs, `hyperclone train` (the
// CLI a user runs, on torch), and plain PyTorch. Not a convergence test: the same GPT config, batch and
// AdamW for a fixed number of steps, timed.
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/throughput.ts \
//     [--presets cpu-128,cpu-256] [--batch 8] [--seq 256] [--steps 10] [--warmup 2] [--rounds 3]
//     [--threads N] [--impls torch,train,train-eager,train-graph,tfjs,pytorch,pytorch-compile] [--tfjs-steps 3]
//     [--grad-clip 1] [--data DIR] [--cli MAIN.js]
//     [--device cpu|cuda] [--autocast bf16|none] [--python /usr/bin/python3] [--reference-dir DIR] [--peak-tflops X]
//     [--out FILE.json]
//
// torch (the stripped step) = core forward + crossEntropyLoss under valueAndGrad + the global-norm clip +
// fused AdamW (decay on 2-D weights), on one fixed random batch. train = `hyperclone train` on a prepared
// dataset (--data, default: byte-level Tiny Shakespeare prepared here), every step logged, timed by the wall
// clock between metrics.jsonl rows after the warmup steps (train: the step replayed natively, the default;
// train-eager: --step-replay off; train-graph: --step-replay graph, a CUDA graph on cuda). pytorch = the reference
// (benchmarks/reference/gpt.py, train_steps) with clip_grad_norm_ and torch.optim.AdamW like the trainer;
// pytorch-compile the same under torch.compile (PyTorch 2.x). Every impl but tfjs runs once per
// round, in --impls order rotated by one each round, for --rounds rounds, and the median is reported, so all
// see the same load.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { resolveConfig, trainFlopsPerToken, type Backend, type ModelConfig, type StateDict } from '@hyperclone/core';
import { openDataset } from '@hyperclone/data';
import { randomWeights } from '@hyperclone/init';
import { createTorchBackend, type TorchBackend } from '@hyperclone/backend-torch';
import { runPytorchReference } from './throughput/pytorch-reference.js';
import { formatPresetReport, median, pairedRatios, type Impl, type ImplResult, type PresetReport } from './throughput/report.js';
import { prepareByteShakespeare, timeCliTrain } from './throughput/cli-train.js';
import { timeTrainingSteps } from './throughput/train-loop.js';
import { int, ints, list, number, oneOf, readFlags, string } from './flags.js';

const IMPLS: readonly Impl[] = ['torch', 'train', 'train-eager', 'train-graph', 'tfjs', 'pytorch', 'pytorch-compile'];
/** The --step-replay each `hyperclone train` impl runs with. */
const STEP_REPLAY: Partial<Record<Impl, string>> = { train: 'on', 'train-eager': 'off', 'train-graph': 'graph' };

interface Options {
  presets: string[];
  batch: number;
  seq: number | null;
  /** Timed steps per preset (the last value repeats for the remaining presets). */
  steps: number[];
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
  gradClip: number;
  data: string | undefined;
  /** The `hyperclone` entry point the train impl runs (default packages/cli/dist/main.js; scripts/gpu: the bundle). */
  cli: string | undefined;
}

function parseOptions(): Options {
  const f = readFlags('benchmarks/throughput.ts', {
    presets: list('cpu-128,cpu-256'),
    batch: int(8),
    seq: int(), // default: each preset's context length
    steps: ints('10'),
    warmup: int(2),
    rounds: int(3),
    threads: int(availableParallelism()),
    impls: list('torch,train,tfjs,pytorch', IMPLS),
    'tfjs-steps': int(3),
    'grad-clip': number(1, { min: 0 }),
    data: string(),
    cli: string(),
    device: oneOf(['cpu', 'cuda'], 'cpu'),
    autocast: oneOf(['bf16', 'none']), // default: bf16 on cuda, none on cpu
    python: string('/usr/bin/python3'),
    'reference-dir': string(),
    'peak-tflops': number(undefined, { above: 0 }),
    out: string(), // default: benchmarks/results/throughput-DEVICE.json
  });
  const device = f.device;
  const autocast = (f.autocast ?? (device === 'cuda' ? 'bf16' : 'none')) === 'bf16';
  if (autocast && device !== 'cuda') throw new Error('--autocast bf16 needs --device cuda');
  return {
    presets: f.presets,
    batch: f.batch,
    seq: f.seq ?? null,
    steps: f.steps,
    warmup: f.warmup,
    rounds: f.rounds,
    threads: f.threads,
    impls: f.impls,
    tfjsSteps: f['tfjs-steps'],
    device,
    autocast,
    python: f.python,
    peakTflops: f['peak-tflops'] ?? null,
    out: resolve(f.out ?? `benchmarks/results/throughput-${device}.json`),
    referenceDir: f['reference-dir'],
    gradClip: f['grad-clip'],
    data: f.data,
    cli: f.cli === undefined ? undefined : resolve(f.cli),
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

interface Round {
  preset: string;
  config: ModelConfig;
  weights: StateDict;
  seq: number;
  steps: number;
  /** The prepared dataset `hyperclone train` reads. */
  data: string;
}

function runOnce(impl: Impl, b: Backend | null, r: Round, o: Options): ImplResult {
  const { config, weights, seq } = r;
  const timedSteps = impl === 'tfjs' ? o.tfjsSteps : r.steps;
  const started = Date.now();
  const replay = STEP_REPLAY[impl];
  if (replay) {
    const t = timeCliTrain({
      ...r,
      batch: o.batch,
      warmup: o.warmup,
      threads: o.threads,
      device: o.device,
      extra: [...cliExtra(o), '--step-replay', replay],
      ...(o.cli ? { cli: o.cli } : {}),
    });
    return {
      impl,
      engine: `hyperclone train (torch, ${o.device === 'cuda' ? `cuda${o.autocast ? ', bf16 autocast' : ''}` : `cpu, ${o.threads} threads`}, step replay ${replay})`,
      tokensPerSec: t.tokensPerSec,
      stepMs: t.stepMs,
      finalLoss: t.finalLoss,
      steps: r.steps,
      wallSec: (Date.now() - started) / 1000,
      trainerTokensPerSec: t.trainerTokensPerSec,
    };
  }
  if (impl === 'pytorch' || impl === 'pytorch-compile') {
    const ref = runPytorchReference({
      python: o.python,
      config,
      batch: o.batch,
      seq,
      steps: r.steps,
      warmup: o.warmup,
      threads: o.threads,
      device: o.device,
      dtype: o.autocast ? 'bfloat16' : 'float32',
      gradClip: o.gradClip,
      compile: impl === 'pytorch-compile',
      ...(o.referenceDir ? { referenceDir: o.referenceDir } : {}),
    });
    return {
      impl,
      engine: `PyTorch ${ref.torch} (${ref.device}, ${ref.dtype}${impl === 'pytorch-compile' ? ', torch.compile' : ''})`,
      tokensPerSec: ref.tokensPerSec,
      stepMs: ref.stepMs,
      finalLoss: ref.finalLoss,
      steps: ref.steps,
      wallSec: (Date.now() - started) / 1000,
    };
  }
  const t = timeTrainingSteps(b!, config, weights, {
    batch: o.batch,
    seq,
    steps: timedSteps,
    warmup: impl === 'tfjs' ? 1 : o.warmup,
    gradClip: o.gradClip,
  });
  return {
    impl,
    engine: b!.engine,
    tokensPerSec: t.tokensPerSec,
    stepMs: t.stepMs,
    finalLoss: t.finalLoss,
    steps: timedSteps,
    wallSec: (Date.now() - started) / 1000,
  };
}

/** `hyperclone train` flags that make it train what the other impls train. */
function cliExtra(o: Options): string[] {
  const peak = o.peakTflops === null ? [] : ['--peak-tflops', String(o.peakTflops)];
  return ['--grad-clip', String(o.gradClip), ...peak, ...(o.autocast ? ['--autocast', 'bf16'] : [])];
}

/**
 * `hyperclone train --model PRESET` sizes the model's vocabulary to the dataset's; with train among the impls every
 * impl trains that vocabulary, so all of them run the same model (gpt2-124m on a 4,096-token dataset: 4,096 rows).
 */
async function trainedVocabulary(config: ModelConfig, data: string, o: Options): Promise<ModelConfig> {
  if (!o.impls.some((impl) => STEP_REPLAY[impl])) return config;
  const dataset = await openDataset(data);
  const vocabSize = dataset.meta.vocabSize;
  dataset.close();
  if (vocabSize === config.vocabSize) return config;
  console.log(
    `  vocabulary: the dataset's ${vocabSize} tokens for every impl (the preset has ${config.vocabSize}), as hyperclone train sizes it`,
  );
  return { ...config, vocabSize };
}

async function benchPreset(
  preset: string,
  torch: TorchBackend | null,
  tfjs: Backend | null,
  data: string,
  o: Options,
): Promise<PresetReport> {
  const config = await trainedVocabulary(resolveConfig(preset), data, o);
  const seq = Math.min(o.seq ?? config.contextLength, config.contextLength);
  const steps = o.steps[Math.min(o.presets.indexOf(preset), o.steps.length - 1)]!;
  const round0: Round = { preset, config, weights: randomWeights(config, 0), seq, steps, data };
  const runs = Object.fromEntries(IMPLS.map((impl) => [impl, [] as ImplResult[]])) as Record<Impl, ImplResult[]>;
  const failures: Partial<Record<Impl, string>> = {};
  for (let round = 1; round <= o.rounds; round++) {
    // each round starts one impl later, so none always runs first (or right after a heavier one)
    const order = o.impls.map((_, i) => o.impls[(i + round - 1) % o.impls.length]!);
    for (const impl of order) {
      if (impl === 'tfjs' && round > 1) continue; // tfjs is slow: one round
      if (failures[impl]) continue; // it failed once: the others go on
      let r: ImplResult;
      try {
        r = runOnce(impl, impl === 'torch' ? torch : impl === 'tfjs' ? tfjs : null, round0, o);
      } catch (e) {
        failures[impl] = (e as Error).message;
        console.log(`  ${preset} round ${round} ${impl} FAILED (left out from here on): ${(e as Error).message}`);
        continue;
      }
      console.log(
        `  ${preset} round ${round} ${impl}: ${r.tokensPerSec.toFixed(0)} tokens/s (${r.stepMs.toFixed(1)} ms/step, loss ${r.finalLoss.toFixed(3)})`,
      );
      runs[impl].push(r);
    }
  }
  const flopsPerToken = trainFlopsPerToken(config, seq);
  const results = o.impls.filter((impl) => runs[impl].length > 0).map((impl) => median(runs[impl]));
  return { preset, config, batch: o.batch, seq, flopsPerToken, results, rounds: runs, failures };
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
    `throughput on ${deviceName}, ${o.threads} threads; batch ${o.batch}, steps ${o.steps.join(',')} (+${o.warmup} warmup), rounds ${o.rounds}`,
  );
  const reports: PresetReport[] = [];
  const data = o.data ?? (o.impls.some((impl) => STEP_REPLAY[impl]) ? await prepareByteShakespeare() : '');
  try {
    for (const preset of o.presets) {
      const report = await benchPreset(preset, torch, tfjs, data, o);
      reports.push(report);
      console.log(formatPresetReport(report, peak));
    }
  } finally {
    torch?.close();
    tfjs?.close();
    if (!o.data && data) rmSync(dirname(data), { recursive: true, force: true });
  }
  const summary = {
    command: `benchmarks/throughput.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    device: { kind: o.device, name: deviceName, threads: o.threads },
    gradClip: o.gradClip,
    load: loadAverage(),
    peakTflops: peak,
    reports: reports.map((r) => ({ ...r, ratios: ratios(r), pairedRatios: paired(r) })),
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${o.out}`);
}

/** Each pair's per-round ratios (back-to-back runs under the same load) and their median. */
function paired(r: PresetReport): Record<string, { perRound: number[]; median: number }> {
  const out: Record<string, { perRound: number[]; median: number }> = {};
  for (const [a, b, key] of [
    ['torch', 'pytorch', 'torchOverPytorch'],
    ['train', 'pytorch', 'trainOverPytorch'],
    ['train', 'torch', 'trainOverTorch'],
    ['train', 'train-eager', 'replayOverEager'],
    ['train-graph', 'pytorch', 'graphOverPytorch'],
    ['train-graph', 'pytorch-compile', 'graphOverCompiled'],
  ] as const) {
    const perRound = pairedRatios(r, a, b);
    if (perRound.length === 0) continue;
    const sorted = [...perRound].sort((x, y) => x - y);
    out[key] = { perRound, median: sorted[Math.floor((sorted.length - 1) / 2)]! };
  }
  return out;
}

function ratios(r: PresetReport): Record<string, number> {
  const by = Object.fromEntries(r.results.map((x) => [x.impl, x.tokensPerSec]));
  const out: Record<string, number> = {};
  if (by['torch'] && by['pytorch']) out['torchOverPytorch'] = by['torch'] / by['pytorch'];
  if (by['train'] && by['pytorch']) out['trainOverPytorch'] = by['train'] / by['pytorch'];
  if (by['train'] && by['torch']) out['trainOverTorch'] = by['train'] / by['torch'];
  if (by['train'] && by['train-eager']) out['replayOverEager'] = by['train'] / by['train-eager'];
  if (by['train-graph'] && by['pytorch']) out['graphOverPytorch'] = by['train-graph'] / by['pytorch'];
  if (by['train-graph'] && by['pytorch-compile']) out['graphOverCompiled'] = by['train-graph'] / by['pytorch-compile'];
  if (by['torch'] && by['tfjs']) out['torchOverTfjs'] = by['torch'] / by['tfjs'];
  if (by['tfjs'] && by['pytorch']) out['tfjsOverPytorch'] = by['tfjs'] / by['pytorch'];
  return out;
}

/** The 1, 5 and 15 minute load averages when the run ended (the machine is shared). */
function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

main().catch((e: unknown) => {
  console.error(`throughput: ${(e as Error).message}`);
  process.exit(1);
});
