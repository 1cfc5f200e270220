// The linear layer and the fused classifier where they spread their GEMMs over the threads (CPU, 2 and 4
// threads; the other torch tests run on 1, where both are the plain composition): core's conformance checks
// of the fused linear and linearCrossEntropy (values and gradients against the reference composition and
// host math) and of whole models' gradients against finite differences. Not the single-thread bits
// (linear-cross-entropy.test.ts, the loss trace).

import { afterAll, beforeAll, it } from 'vitest';
import { conformanceChecks } from '@hyperclone/core';
import { createTorchBackend, type TorchBackend } from '../src/index.js';
import { describeTorch } from './torch-ready.js';

const checks = conformanceChecks().filter((c) => /^fused linear|forward \+ crossEntropyLoss/.test(c.name));

for (const threads of [2, 4]) {
  describeTorch(`linear layers spread over ${threads} threads`, () => {
    let b: TorchBackend;
    beforeAll(async () => {
      b = await createTorchBackend({ device: 'cpu', threads });
    });
    afterAll(() => b.close());

    it('runs the checks it means to (the linear and classifier cases and the whole models)', () => {
      if (checks.length < 6) throw new Error(`only ${checks.length} conformance checks matched: ${checks.map((c) => c.name).join('; ')}`);
    });
    for (const check of checks) it(check.name, () => check.run(b));
  });
}
