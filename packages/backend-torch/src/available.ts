// isTorchAvailable: the addon loads and a tensor survives a round trip through libtorch.
// Not a build step: when this says false, torchUnavailableReason() says what to run.

import { loadAddon } from './addon.js';

let verdict: { ok: boolean; reason: string } | null = null;

function probe(): { ok: boolean; reason: string } {
  try {
    const addon = loadAddon();
    const engine = new addon.Engine('cpu', false);
    try {
      const id = engine.fromHost(new Float32Array([1.5, -2, 3]), [3]);
      const back = engine.toHost(engine.binary(2, id, engine.scalar(2))); // mul by 2
      const ok = back.length === 3 && back[0] === 3 && back[1] === -4 && back[2] === 6;
      return { ok, reason: ok ? '' : `a round trip through libtorch ${addon.version()} returned wrong values` };
    } finally {
      engine.close();
    }
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** True when the libtorch addon is built, loads, and computes correctly on the CPU. */
export function isTorchAvailable(): boolean {
  verdict ??= probe();
  return verdict.ok;
}

/** Why isTorchAvailable() is false ('' when it is true). */
export function torchUnavailableReason(): string {
  verdict ??= probe();
  return verdict.reason;
}
