// Parity of the torch backend with the PyTorch reference fixtures: logits, loss and every gradient.
// Not op-level conformance (conformance.test.ts) and not tfjs agreement (tfjs-agreement.test.ts).

import { afterAll, expect, it } from 'vitest';
import { FIXTURE_NAMES } from '../../core/test/fixtures/load.js';
import { checkParity } from '../../core/test/fixtures/parity.js';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

/** float32 engine vs a float64 oracle, on logits of magnitude ~1-3. */
const TOLERANCE = 1e-4;

describeTorch('torch cpu matches PyTorch', () => {
  let backend: TorchBackend | null = null;
  const open = async (): Promise<TorchBackend> => (backend ??= await createTorchBackend({ device: 'cpu', threads: 1 }));
  afterAll(() => backend?.close());

  it.each(FIXTURE_NAMES)('%s: logits, loss and every parameter gradient within 1e-4', async (fixture) => {
    const e = checkParity(await open(), fixture);
    console.log(
      `torch ${fixture}: max|Δ| logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, ` +
        `valueAndGrad value ${e.gradValue.toExponential(2)}, grads ${e.maxGrad.toExponential(2)} (${e.worstGradParam})`,
    );
    expect(e.logits).toBeLessThanOrEqual(TOLERANCE);
    expect(e.loss).toBeLessThanOrEqual(TOLERANCE);
    expect(e.gradValue).toBeLessThanOrEqual(TOLERANCE);
    for (const [param, err] of e.grads) expect(err, param).toBeLessThanOrEqual(TOLERANCE);
    expect(e.grads.size).toBeGreaterThan(20);
    expect(e.leakedTensors).toBe(0);
  });
});
