// Parity of the torch backend with the PyTorch reference fixtures: logits, loss and every gradient.
// Not op-level conformance (conformance.test.ts) and not tfjs agreement (tfjs-agreement.test.ts).

import { afterAll, it } from 'vitest';
import { FIXTURE_NAMES } from '../../core/test/fixtures/load.js';
import { checkParity, expectParity } from '../../core/test/fixtures/parity.js';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

/** float32 engine vs a float64 oracle, on logits of magnitude ~1-3. */
const TOLERANCE = 1e-4;

describeTorch('torch cpu matches PyTorch', () => {
  let backend: TorchBackend | null = null;
  const open = async (): Promise<TorchBackend> => (backend ??= await createTorchBackend({ device: 'cpu', threads: 1 }));
  afterAll(() => backend?.close());

  it.each(FIXTURE_NAMES)('%s: logits, loss and every parameter gradient within 1e-4', async (fixture) => {
    expectParity('torch', checkParity(await open(), fixture), TOLERANCE);
  });
});
