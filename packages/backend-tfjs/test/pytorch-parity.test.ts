// Parity of the tfjs backend with the PyTorch reference: logits, loss and every gradient on committed fixtures.
// Not the fixtures' own checks (packages/core/test/fixtures) and not op-level conformance.

import { afterAll, describe, it } from 'vitest';
import type { Backend } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { FIXTURE_NAMES } from '../../core/test/fixtures/load.js';
import { checkParity, expectParity } from '../../core/test/fixtures/parity.js';

/** float32 engine vs a float64 oracle, on logits of magnitude ~1-3. */
const TOLERANCE = 1e-4;

describe.each(['wasm', 'cpu'] as const)('tfjs-%s matches PyTorch', (engine) => {
  let backend: Backend | null = null;
  const open = async (): Promise<Backend> => (backend ??= await createTfjsBackend({ engine }));
  afterAll(() => backend?.close());

  it.each(FIXTURE_NAMES)('%s: logits, loss and every parameter gradient within 1e-4', async (fixture) => {
    expectParity(`tfjs-${engine}`, checkParity(await open(), fixture), TOLERANCE);
  });
});
