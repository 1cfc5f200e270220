// Runs core's conformance suite on the tfjs backend, once per engine this machine can start.
// Not engine selection or leak tests of the package's own (engines.test.ts, memory.test.ts).

import { afterAll, describe, it } from 'vitest';
import { conformanceChecks } from '@hyperclone/core';
import { createTfjsBackend, type TfjsBackend } from '../src/index.js';

describe.each(['wasm', 'cpu'] as const)('conformance on tfjs %s', (engine) => {
  let backend: TfjsBackend | null = null;
  const open = async (): Promise<TfjsBackend> => {
    if (!backend) {
      backend = await createTfjsBackend({ engine });
      console.log(
        `conformance: ${backend.engine} (${backend.threads} thread(s)) on ${backend.device.name}; fused: ${Object.keys(backend.fused).join(', ')}`,
      );
    }
    return backend;
  };
  afterAll(() => backend?.close());

  for (const check of conformanceChecks()) {
    it(check.name, async () => {
      check.run(await open());
    });
  }
});
