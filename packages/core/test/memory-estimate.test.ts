// Tests of the memory estimate's arithmetic (core's memory-estimate.ts): the activation formula by hand for
// `tiny`, the parts of each command's estimate, the limit and the one-line refusal. The measured peaks it
// is held against are in the CLI's memory-check.test.ts.

import { describe, expect, it } from 'vitest';
import {
  activationBytes,
  checkMemory,
  countParams,
  getPreset,
  GIB,
  hostMemoryLimit,
  loadMemory,
  MemoryCheckError,
  rankState,
  RUNTIME_BYTES,
  trainMemory,
  weightBytes,
} from '../src/index.js';

const tiny = getPreset('tiny'); // dModel 64, 2 layers, 4 heads of 16, dFF 256, context 128, vocab 257

describe('memory estimate', () => {
  it('counts what one forward keeps for backward and the peak backward adds, by hand for tiny', () => {
    const scores = 4 * 128 * 128; // 65,536
    const perLayer = 2 * scores + 128 * 16 * (2 * 4 + 2 * 4) + 6 * 128 * 64 + 2 * 128 * 256; // 278,528
    const head = 2 * 128 * 64 + 3 * 128 * 257; // 115,072
    const backwardPeak = scores + 2 * 128 * 64; // 81,920
    const floats = 2 * perLayer + head + backwardPeak; // 754,048 per sequence
    expect(activationBytes(tiny, 1, 128)).toBe(4 * floats);
    expect(activationBytes(tiny, 1, 128)).toBe(3_016_192);
    expect(activationBytes(tiny, 10, 128)).toBe(10 * 3_016_192); // linear in the batch
    expect(activationBytes({ ...tiny, mlp: 'swiglu' }, 1, 128) - activationBytes(tiny, 1, 128)).toBe(4 * 2 * 2 * 128 * 256);
    expect(activationBytes({ ...tiny, dropout: 0.1 }, 1, 128)).toBeGreaterThan(activationBytes(tiny, 1, 128));
    // bf16 autocast: the same tensors at 2 bytes
    expect(activationBytes(tiny, 1, 128, { autocast: 'bf16' })).toBe(2 * floats);
    // a fused attention kernel keeps B·H·T row statistics instead of the T x T scores and probabilities
    const fusedLayer = 4 * 128 + 128 * 16 * 16 + 6 * 128 * 64 + 2 * 128 * 256; // 147,968
    expect(activationBytes(tiny, 1, 128, { attention: 'fused' })).toBe(4 * (2 * fusedLayer + head + 2 * 128 * 64));
  });

  it('checkpointing keeps each segment input and holds one segment (or the head) at a time', () => {
    const perLayer = 278_528;
    const head = 115_072;
    const backwardPeak = 81_920;
    const stream = 128 * 64;
    // blocks: one layer at a time; inputs of 2 segments and the head
    expect(activationBytes(tiny, 1, 128, { checkpointEvery: 1 })).toBe(4 * (perLayer + backwardPeak + 3 * stream));
    // every-2 on 2 layers: one segment of both, its input and the head's
    expect(activationBytes(tiny, 1, 128, { checkpointEvery: 2 })).toBe(4 * (2 * perLayer + backwardPeak + 2 * stream));
    // a head bigger than a segment (a large vocabulary) sets the peak
    const wideVocab = { ...tiny, vocabSize: 50_000 };
    expect(activationBytes(wideVocab, 1, 128, { checkpointEvery: 1 })).toBe(
      4 * (2 * stream + 3 * 128 * 50_000 + backwardPeak + 3 * stream),
    );
    expect(head).toBeLessThan(perLayer);
  });

  it('one rank state: ZeRO-1 shards the moments, ZeRO-2 also the sums across micro-batches; autocast adds bf16 weights', () => {
    const w = weightBytes(tiny);
    const act = activationBytes(tiny, 4, 128); // far above the weights: the collectives' buffers add nothing
    expect(rankState(tiny, 4, 128)).toEqual({ weights: w, gradients: w, moments: 2 * w, activations: act, buffers: 0 });
    expect(rankState(tiny, 4, 128, { zeroStage: 1, worldSize: 4 })).toEqual({
      weights: w,
      gradients: w,
      moments: w / 2,
      activations: act,
      buffers: 0,
    });
    expect(rankState(tiny, 4, 128, { zeroStage: 0, worldSize: 4, gradAccum: 2 }).gradients).toBe(2 * w);
    expect(rankState(tiny, 4, 128, { zeroStage: 1, worldSize: 4, gradAccum: 2 }).gradients).toBe(2 * w);
    expect(rankState(tiny, 4, 128, { zeroStage: 2, worldSize: 4, gradAccum: 2 }).gradients).toBe(w + w / 4);
    expect(rankState(tiny, 4, 128, { zeroStage: 2, worldSize: 4 }).moments).toBe(w / 2);
    expect(rankState(tiny, 4, 128, { autocast: 'bf16' }).weights).toBe(1.5 * w);
  });

  it('the collectives buffers: what the reduction or the sharded update holds beyond the end of backward', () => {
    const w = weightBytes(tiny); // 498,944 bytes: one bucket holds every gradient
    const a = activationBytes(tiny, 1, 8);
    expect(a).toBeLessThan(w);
    expect(rankState(tiny, 1, 8).buffers).toBe(0); // one process: no collective
    // data parallel: the all-reduce's flat copy of the gradients
    expect(rankState(tiny, 1, 8, { worldSize: 2 }).buffers).toBe(w - a);
    // ZeRO-1 on 4 ranks: the update holds the gradient, the parameter shard and 2.5 buckets
    expect(rankState(tiny, 1, 8, { zeroStage: 1, worldSize: 4 }).buffers).toBeCloseTo(w / 4 + 2.5 * w - a, 0);
    // ZeRO-2 on 4 ranks: the reduce-scatter holds the gradient, its shard and 3 buckets
    expect(rankState(tiny, 1, 8, { zeroStage: 2, worldSize: 4 }).buffers).toBeCloseTo(w / 4 + 3 * w - a, 0);
  });

  it('train: initial weights, parameters, gradients, two AdamW moments, two checkpoint copies, activations', () => {
    const w = countParams(tiny) * 4;
    expect(weightBytes(tiny)).toBe(w);
    const e = trainMemory(tiny, { rows: 16, seqLen: 128, loadBytes: w, device: 'cpu' });
    expect(e.parts).toEqual({
      runtime: RUNTIME_BYTES.training,
      initial: w,
      checkpointStaging: 2 * w,
      parameters: w,
      gradients: w,
      adamw: 2 * w,
      activations: 16 * 3_016_192,
    });
    expect(e.bytes).toBe(RUNTIME_BYTES.training + 7 * w + 16 * 3_016_192);
    // on CUDA only the host's part is estimated: device memory is not queried
    const cuda = trainMemory(tiny, { rows: 16, seqLen: 128, loadBytes: w, device: 'cuda' });
    expect(cuda.bytes).toBe(RUNTIME_BYTES.training + 3 * w);
  });

  it('init and clone: the initializer plan parts plus the runtime', () => {
    const e = loadMemory({ config: tiny, load: { source: 100, output: 400 } });
    expect(e).toEqual({ bytes: RUNTIME_BYTES.plain + 500, parts: { runtime: RUNTIME_BYTES.plain, source: 100, output: 400 } });
  });

  it('the limit is the available memory plus a tenth of the total, at most the total', () => {
    expect(hostMemoryLimit(4 * GIB, 16 * GIB).bytes).toBeCloseTo(5.6 * GIB, 0);
    expect(hostMemoryLimit(15.9 * GIB, 16 * GIB).bytes).toBe(16 * GIB);
    expect(hostMemoryLimit(4 * GIB, 16 * GIB).text).toBe(
      '5.60 GiB (4.00 GiB available + a tenth of the 16.0 GiB total, at most the total)',
    );
  });

  it('refuses in one line naming the estimate, its big parts and the limit; passes what fits', () => {
    const limit = hostMemoryLimit(4 * GIB, 16 * GIB);
    const check = { what: 'train', advice: 'lower --batch-size', override: '--skip-memory-check', limit };
    const big = trainMemory(tiny, { rows: 2000, seqLen: 128, loadBytes: weightBytes(tiny), device: 'cpu' });
    let err: unknown;
    try {
      checkMemory(big, check);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryCheckError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toBe(
      'train would need about 6.12 GiB of memory (activations 5.62, runtime 0.50) but the limit is 5.60 GiB (4.00 GiB available + a tenth of the 16.0 GiB total, at most the total); lower --batch-size, or pass --skip-memory-check to try anyway',
    );
    expect(() => checkMemory(trainMemory(tiny, { rows: 16, seqLen: 128, loadBytes: 0, device: 'cpu' }), check)).not.toThrow();
  });
});
