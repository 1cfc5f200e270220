// Throughput of the tfjs engines on this machine: matmul GFLOP/s and tiny-preset training tokens/s.
// Not a test (no assertions) and not the trainer: a bare forward + backward, the way a step does it.
//
//   npx tsx --conditions=@hyperclone/source benchmarks/tfjs-engines.ts [--engines wasm,cpu] [--steps 5]
//
// Each engine also runs the step with core's reference compositions in place of the backend's fused
// ops (`referenceStepMs`), in the same process, so the two compare under the same machine load.

import {
  crossEntropyLoss,
  disposeParams,
  forward,
  hostTensor,
  paramSpec,
  resolveConfig,
  Rng,
  uploadParams,
  type Backend,
  type StateDict,
} from '@hyperclone/core';
import { createTfjsBackend, type TfjsEngine } from '@hyperclone/backend-tfjs';
import { int, list, readFlags } from './flags.js';

function randomWeights(preset: string): { config: ReturnType<typeof resolveConfig>; weights: StateDict } {
  const config = resolveConfig(preset);
  const rng = new Rng(0);
  const weights: StateDict = new Map();
  for (const s of paramSpec(config)) {
    const data = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
    if (s.init === 'ones') data.fill(1);
    else if (s.init !== 'zeros') rng.fillNormal(data, 0.02);
    weights.set(s.name, hostTensor(s.shape, data));
  }
  return { config, weights };
}

/** Median wall time of `run` in ms after `warmup` untimed runs. */
function medianMs(run: () => void, repeats: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

function matmulGflops(b: Backend, n: number): number {
  const rng = new Rng(1);
  const x = b.keep(b.fromHost(hostTensor([n, n], rng.fillNormal(new Float32Array(n * n), 1))));
  const ms = medianMs(() => b.tidy(() => void b.toHost(b.matmul(x, x))), 10);
  b.dispose(x);
  return (2 * n ** 3) / (ms * 1e6);
}

function trainTokensPerSec(
  b: Backend,
  preset: string,
  batch: number,
  seq: number,
  steps: number,
): { tokensPerSec: number; stepMs: number } {
  const { config, weights } = randomWeights(preset);
  const params = uploadParams(b, config, weights);
  const names = Object.keys(params);
  const rng = new Rng(2);
  const ids = () => Int32Array.from({ length: batch * seq }, () => rng.int(config.vocabSize));
  const step = (): void =>
    b.tidy(() => {
      const tokens = b.fromHost(hostTensor([batch, seq], ids()));
      const targets = b.fromHost(hostTensor([batch, seq], ids()));
      const { value } = b.valueAndGrad(
        (xs) => {
          const p = Object.fromEntries(names.map((n, i) => [n, xs[i]!]));
          return crossEntropyLoss(b, forward(b, config, p, tokens).logits, targets);
        },
        names.map((n) => params[n]!),
      );
      b.toHost(value); // waits for the step
    });
  const stepMs = medianMs(step, steps, 1);
  disposeParams(b, params);
  return { tokensPerSec: (batch * seq) / (stepMs / 1000), stepMs };
}

const { engines, steps } = readFlags('benchmarks/tfjs-engines.ts', {
  engines: list<TfjsEngine | 'auto'>('wasm,cpu', ['tensorflow', 'wasm', 'cpu', 'auto']),
  steps: int(5),
});
for (const engine of engines) {
  const b = await createTfjsBackend({ engine });
  const gflops512 = matmulGflops(b, 512);
  const gflops1024 = engine === 'cpu' ? null : matmulGflops(b, 1024);
  const train = trainTokensPerSec(b, 'tiny', 8, 128, steps);
  const reference = trainTokensPerSec({ ...b, fused: {} }, 'tiny', 8, 128, steps);
  console.log(
    JSON.stringify({
      engine: b.engine,
      device: b.device.name,
      threads: b.threads,
      fused: Object.keys(b.fused),
      matmul512GflopsPerSec: +gflops512.toFixed(2),
      matmul1024GflopsPerSec: gflops1024 === null ? null : +gflops1024.toFixed(2),
      tinyTrainStepMs: +train.stepMs.toFixed(1),
      tinyTrainTokensPerSec: Math.round(train.tokensPerSec),
      referenceStepMs: +reference.stepMs.toFixed(1),
      referenceTokensPerSec: Math.round(reference.tokensPerSec),
      batch: 8,
      seqLen: 128,
    }),
  );
  b.close();
}
