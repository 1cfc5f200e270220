// Decides whether the torch tests run, fail or skip: the addon must work in CI and wherever libtorch is installed.
// Not a test: every torch test file wraps its suites in describeTorch.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { isTorchAvailable, torchUnavailableReason } from '../src/index.js';

/** libtorch on this machine: LIBTORCH, or a system install (Debian's libtorch-dev). */
export function libtorchInstalled(): boolean {
  if (process.env.LIBTORCH) return true;
  const libRoots = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')) : [];
  return libRoots.some((d) => existsSync(join('/usr/lib', d, 'cmake/Torch/TorchConfig.cmake')));
}

export type TorchReadiness = 'run' | 'fail' | 'skip';

export function torchReadiness(): TorchReadiness {
  if (isTorchAvailable()) return 'run';
  if (process.env.CI === 'true' || process.env.CI === '1' || libtorchInstalled()) return 'fail';
  return 'skip';
}

/**
 * describe() when the addon works. Where it does not: in CI or with libtorch installed, one failing test
 * that says why; elsewhere (no libtorch at all) a loud skip.
 */
export function describeTorch(name: string, body: () => void): void {
  const readiness = torchReadiness();
  if (readiness === 'run') {
    describe(name, body);
  } else if (readiness === 'fail') {
    describe(name, () => {
      it('needs the libtorch addon', () => {
        throw new Error(`the torch backend is unavailable: ${torchUnavailableReason()}`);
      });
    });
  } else {
    console.warn(`\n*** SKIPPING "${name}": libtorch is not installed (${torchUnavailableReason()}) ***\n`);
    describe.skip(name, body);
  }
}
