// One step's gradients: accumulation equals one big batch, clipping to the global norm, no leaks, dropout seeds.
// Not the optimizer update (adamw.test.ts) nor the loop (train-from.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, ModelConfig, Tensor } from '@hyperclone/core';
import { getPreset, paramSpec, uploadParams, disposeParams, Rng } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { randomWeights } from '@hyperclone/init';
import { computeGradients, disposeStats, dropoutSeed, readStepValues, type MicroBatch } from '../src/index.js';

let b: Backend;
const config: ModelConfig = { ...getPreset('tiny'), nLayer: 1, contextLength: 16 };
const names = paramSpec(config).map((s) => s.name);
let params: Record<string, Tensor>;

beforeAll(async () => {
  b = await createTfjsBackend();
  params = uploadParams(b, config, randomWeights(config, 3));
});
afterAll(() => {
  disposeParams(b, params);
  b.close();
});

function batch(rows: number, T: number, seed: number): MicroBatch {
  const rng = new Rng(seed);
  const tokens = Int32Array.from({ length: rows * (T + 1) }, () => rng.int(config.vocabSize));
  const inputs = new Int32Array(rows * T);
  const targets = new Int32Array(rows * T);
  for (let r = 0; r < rows; r++) {
    inputs.set(tokens.subarray(r * (T + 1), r * (T + 1) + T), r * T);
    targets.set(tokens.subarray(r * (T + 1) + 1, (r + 1) * (T + 1)), r * T);
  }
  return { inputs, targets };
}

function concat(a: MicroBatch, c: MicroBatch): MicroBatch {
  return { inputs: Int32Array.from([...a.inputs, ...c.inputs]), targets: Int32Array.from([...a.targets, ...c.targets]) };
}

describe('computeGradients', () => {
  it('two accumulated micro-batches of 2 give the loss and gradients of one batch of 4', () => {
    const [x, y] = [batch(2, 8, 1), batch(2, 8, 2)];
    const accum = computeGradients(b, config, params, names, [x, y], [0, 0], { batchSize: 2, seqLen: 8, gradClip: 0 });
    const whole = computeGradients(b, config, params, names, [concat(x, y)], [0], { batchSize: 4, seqLen: 8, gradClip: 0 });
    const [a, w] = [readStepValues(b, accum.stats), readStepValues(b, whole.stats)];
    expect(a.loss).toBeCloseTo(w.loss, 5);
    expect(a.gradNorm).toBeCloseTo(w.gradNorm, 5);
    accum.grads.forEach((g, i) => {
      const a = b.toHost(g).data;
      const w = b.toHost(whole.grads[i]!).data;
      for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(w[k]!, 5);
    });
    b.dispose([...accum.grads, ...whole.grads]);
    disposeStats(b, accum.stats);
    disposeStats(b, whole.stats);
  });

  it('clips the global norm to gradClip and reports the norm before clipping', () => {
    const x = batch(2, 8, 5);
    const free = computeGradients(b, config, params, names, [x], [0], { batchSize: 2, seqLen: 8, gradClip: 0 });
    const freeNorm = readStepValues(b, free.stats).gradNorm;
    const clip = freeNorm / 4;
    const clipped = computeGradients(b, config, params, names, [x], [0], { batchSize: 2, seqLen: 8, gradClip: clip });
    expect(readStepValues(b, clipped.stats).gradNorm).toBeCloseTo(freeNorm, 6);
    const norm = Math.sqrt(clipped.grads.reduce((s, g) => s + Array.from(b.toHost(g).data).reduce((a, v) => a + v * v, 0), 0));
    expect(norm).toBeCloseTo(clip, 4);
    b.dispose([...free.grads, ...clipped.grads]);
    disposeStats(b, free.stats);
    disposeStats(b, clipped.stats);
  });

  it('leaks no tensors', () => {
    const before = b.liveTensors();
    const r = computeGradients(b, config, params, names, [batch(2, 8, 1), batch(2, 8, 2)], [0, 0], {
      batchSize: 2,
      seqLen: 8,
      gradClip: 1,
    });
    b.dispose(r.grads);
    disposeStats(b, r.stats);
    expect(b.liveTensors()).toBe(before);
  });

  it('dropout seeds are a pure function of (seed, step, micro)', () => {
    expect(dropoutSeed(1, 10, 0)).toBe(dropoutSeed(1, 10, 0));
    expect(dropoutSeed(1, 10, 0)).not.toBe(dropoutSeed(1, 11, 0));
    expect(dropoutSeed(1, 10, 0)).toBeLessThan(2 ** 21);
  });
});
