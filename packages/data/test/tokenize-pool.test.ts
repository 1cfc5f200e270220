// Tests of the tokenizer worker pool started from sources: results in submission order, closing, a worker's load error.
// Not the prepare pipeline around it (prepare-txt.test.ts compares workers with inline).

import { describe, expect, it } from 'vitest';
import { workerPool } from '../src/prepare/tokenize-pool.js';

describe('tokenizer worker pool', () => {
  it('encodes on worker threads, results in submission order', async () => {
    const pool = await workerPool('byte', 2);
    const jobs = Array.from({ length: 6 }, (_, i) => pool.run([`job ${i}`, 'é']));
    const results = await Promise.all(jobs);
    expect(results.map((r) => Array.from(r[0]!))).toEqual(Array.from({ length: 6 }, (_, i) => Array.from(Buffer.from(`job ${i}`))));
    expect(Array.from(results[0]![1]!)).toEqual([0xc3, 0xa9]);
    await pool.close();
    await expect(pool.run(['x'])).rejects.toThrow(/pool closed/);
  });

  it('fails to start with the worker reason when the tokenizer cannot load', async () => {
    await expect(workerPool('nope', 1)).rejects.toThrow(/tokenizer worker: unknown tokenizer "nope"/);
  });
});
