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
  RUNTIME_BYTES,
  trainMemory,
  weightBytes,
} from '../src/index.js';

const tiny = getPreset('tiny'); // dModel 64, 2 layers, 4 heads of 16, dFF 256, context 128, vocab 257

describe('memory estimate', () => {
  it('counts what one forward keeps for backward, by hand for tiny, times 2 for backward', () => {
    const perLayer = 2 * 4 * 128 * 128 + 128 * 16 * (2 * 4 + 2 * 4) + 6 * 128 * 64 + 2 * 128 * 256; // 278,528
    const floats = 2 * perLayer + 2 * 128 * 64 + 3 * 128 * 257; // 672,128 per sequence
    expect(activationBytes(tiny, 1, 128)).toBe(2 * 4 * floats);
    expect(activationBytes(tiny, 1, 128)).toBe(5_377_024);
    expect(activationBytes(tiny, 10, 128)).toBe(10 * 5_377_024); // linear in the batch
    expect(activationBytes({ ...tiny, mlp: 'swiglu' }, 1, 128) - activationBytes(tiny, 1, 128)).toBe(2 * 4 * 2 * 2 * 128 * 256);
    expect(activationBytes({ ...tiny, dropout: 0.1 }, 1, 128)).toBeGreaterThan(activationBytes(tiny, 1, 128));
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
      activations: 16 * 5_377_024,
    });
    expect(e.bytes).toBe(RUNTIME_BYTES.training + 7 * w + 16 * 5_377_024);
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
      'train would need about 10.5 GiB of memory (activations 10.0, runtime 0.50) but the limit is 5.60 GiB (4.00 GiB available + a tenth of the 16.0 GiB total, at most the total); lower --batch-size, or pass --skip-memory-check to try anyway',
    );
    expect(() => checkMemory(trainMemory(tiny, { rows: 16, seqLen: 128, loadBytes: 0, device: 'cpu' }), check)).not.toThrow();
  });
});
