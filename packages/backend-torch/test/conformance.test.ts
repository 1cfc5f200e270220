// Runs core's conformance suite on the torch backend (CPU here; scripts/gpu runs it on CUDA).
// Not the torch-specific checks (torch-backend.test.ts) or model parity (parity.test.ts).

import { afterAll, it } from 'vitest';
import { conformanceChecks } from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

describeTorch('conformance on torch cpu', () => {
  let backend: TorchBackend | null = null;
  const open = async (): Promise<TorchBackend> => {
    if (!backend) {
      backend = await createTorchBackend({ device: 'cpu', threads: 1 });
      console.log(`conformance: ${backend.engine} on ${backend.device.name}`);
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
