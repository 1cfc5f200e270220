// Activation checkpointing, measured: one training step's forward and backward (core's lossAndGradients) with
// none, blocks and every-N, in alternating rounds on the torch backend: the allocator's peak above the weights
// (activations, gradients, temporaries), the memory plan's estimate of it, and the time. Not a test (bits: conformance).
//
//   npm run build && npx tsx --conditions=@hyperclone/source benchmarks/activation-checkpointing.ts \
//     [--model cpu-256] [--layers 8] [--batch 16] [--seq 256] [--threads 2] [--rounds 3] [--modes none,blocks,every-2] \
//     [--out benchmarks/results/activation-checkpointing-cpu.json]
//
// --layers and --seq default to the preset's (cpu-256: 4 blocks, 256 positions).

import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { createTorchBackend } from '@hyperclone/backend-torch';
import {
  activationBytes,
  checkpointEvery,
  countParams,
  getPreset,
  hostTensor,
  lossAndGradients,
  paramSpec,
  Rng,
  type ModelConfig,
} from '@hyperclone/core';
import { int, list, readFlags, string } from './flags.js';

const args = process.argv.slice(2);
const f = readFlags('benchmarks/activation-checkpointing.ts', {
  model: string('cpu-256'),
  layers: int(), // default: the preset's
  batch: int(16),
  seq: int(), // default: the preset's context length
  threads: int(2),
  rounds: int(3),
  modes: list('none,blocks,every-2'),
  out: string('benchmarks/results/activation-checkpointing-cpu.json'),
});
const preset = f.model;
const base = getPreset(preset);
const config: ModelConfig = { ...base, nLayer: f.layers ?? base.nLayer, dropout: 0 };
const B = f.batch;
const T = f.seq ?? base.contextLength;
const threads = f.threads;
const rounds = f.rounds;
const modes = f.modes;
const out = resolve(f.out);
modes.forEach((m) => checkpointEvery(m)); // refuse a bad mode before the work

const b = await createTorchBackend({ threads });
const specs = paramSpec(config);
const names = specs.map((s) => s.name);
const rng = new Rng(1, 'weights');
const params = Object.fromEntries(
  specs.map((s) => {
    const data = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
    rng.fillNormal(data, s.init === 'ones' ? 0 : 0.02, s.init === 'ones' ? 1 : 0);
    return [s.name, b.keep(b.fromHost(hostTensor(s.shape, data)))];
  }),
);
const tokenRng = new Rng(2, 'tokens');
const ids = () => Int32Array.from({ length: B * T }, () => tokenRng.int(config.vocabSize));
const tokens = b.keep(b.fromHost(hostTensor([B, T], ids())));
const targets = b.keep(b.fromHost(hostTensor([B, T], ids())));
b.trackMemory();

interface Sample {
  peakAboveStartBytes: number;
  ms: number;
  loss: number;
}

function step(mode: string, warmUp = false): Sample {
  const startBytes = b.allocatorStats().allocatedBytes;
  b.resetPeakMemory();
  const t0 = performance.now();
  const loss = b.tidy(() => {
    const { value } = lossAndGradients(b, config, params, names, tokens, targets, {
      train: true,
      dropoutSeed: 1,
      every: checkpointEvery(mode),
    });
    return b.toHost(value).data[0]!;
  });
  const ms = performance.now() - t0;
  const stats = b.allocatorStats();
  if (!warmUp && stats.allocatedBytes !== startBytes)
    throw new Error(`${mode}: the step left ${stats.allocatedBytes - startBytes} bytes allocated`);
  return { peakAboveStartBytes: stats.peakBytes - startBytes, ms, loss };
}

const samples: Record<string, Sample[]> = Object.fromEntries(modes.map((m) => [m, []]));
for (const m of modes) step(m, true); // warm-up: the first calls allocate caches (the causal masks)
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? modes : [...modes].reverse();
  for (const m of order) samples[m]!.push(step(m));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MB = 1e6;
const weights = countParams(config) * 4;
const rows = modes.map((m) => {
  const s = samples[m]!;
  const peak = median(s.map((x) => x.peakAboveStartBytes));
  const estimate = activationBytes(config, B, T, { checkpointEvery: checkpointEvery(m) });
  return {
    mode: m,
    peakAboveWeightsBytes: peak,
    // the step's peak holds the activations plus one weight-sized set of gradients
    measuredActivationBytes: peak - weights,
    estimatedActivationBytes: estimate,
    estimateOverMeasured: estimate / (peak - weights),
    msPerStep: median(s.map((x) => x.ms)),
    roundsMs: s.map((x) => Math.round(x.ms)),
    loss: s[0]!.loss,
  };
});
const none = rows.find((r) => r.mode === 'none');
console.log(
  `${preset} with ${config.nLayer} blocks, batch ${B} x ${T}, ${threads} threads, ${rounds} rounds (load ${loadavg()[0]!.toFixed(1)})`,
);
console.log('| mode | step peak above the weights | activations (peak - gradients) | estimate | time per step |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) {
  const vs = none && r !== none ? ` (${(r.peakAboveWeightsBytes / none.peakAboveWeightsBytes).toFixed(2)}x)` : '';
  const tvs = none && r !== none ? ` (${(r.msPerStep / none.msPerStep).toFixed(2)}x)` : '';
  console.log(
    `| ${r.mode} | ${(r.peakAboveWeightsBytes / MB).toFixed(1)} MB${vs} | ${(r.measuredActivationBytes / MB).toFixed(1)} MB | ` +
      `${(r.estimatedActivationBytes / MB).toFixed(1)} MB (${r.estimateOverMeasured.toFixed(2)}x) | ${r.msPerStep.toFixed(0)} ms${tvs} |`,
  );
}
if (new Set(rows.map((r) => r.loss)).size !== 1) throw new Error('the modes gave different losses');

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      command: `benchmarks/activation-checkpointing.ts ${args.join(' ')}`.trim(),
      date: new Date().toISOString(),
      load: loadavg().map((x) => Math.round(x * 100) / 100),
      engine: b.engine,
      model: { preset, nLayer: config.nLayer, dModel: config.dModel, params: countParams(config) },
      batch: B,
      seqLen: T,
      weightBytes: weights,
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${relative(process.cwd(), out)}`);
b.close();
