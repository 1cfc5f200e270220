// The loss of a trained checkpoint over every non-overlapping window of the validation split: inputs
// val[i·T, (i+1)·T), targets one token later, exactly the windows reference/nanogpt-loop.py scores. Not the
// trainer's evaluation (a seeded sample of windows, which both sides would draw differently).

import { readFileSync } from 'node:fs';
import { crossEntropyLoss, disposeParams, forward, hostTensor, loadCheckpoint, uploadParams, type Backend } from '@hyperclone/core';

/** Mean next-token loss (nats) and the number of target tokens it averages. */
export async function fullValidationLoss(
  b: Backend,
  checkpoint: string,
  valBin: string,
  seqLen: number,
  batch = 64,
): Promise<{ loss: number; tokens: number }> {
  const { config, weights } = await loadCheckpoint(checkpoint);
  const bytes = readFileSync(valBin);
  const val = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const windows = Math.floor((val.length - 1) / seqLen);
  const params = uploadParams(b, config, weights);
  let total = 0;
  let count = 0;
  try {
    for (let start = 0; start < windows; start += batch) {
      const n = Math.min(batch, windows - start);
      const inputs = new Int32Array(n * seqLen);
      const targets = new Int32Array(n * seqLen);
      for (let i = 0; i < n * seqLen; i++) {
        inputs[i] = val[start * seqLen + i]!;
        targets[i] = val[start * seqLen + i + 1]!;
      }
      const loss = b.tidy(() => {
        const x = b.fromHost(hostTensor([n, seqLen], inputs));
        const y = b.fromHost(hostTensor([n, seqLen], targets));
        return crossEntropyLoss(b, forward(b, config, params, x).logits, y);
      });
      total += b.toHost(loss).data[0]! * n * seqLen;
      count += n * seqLen;
      b.dispose(loss);
    }
  } finally {
    disposeParams(b, params);
  }
  return { loss: total / count, tokens: count };
}
