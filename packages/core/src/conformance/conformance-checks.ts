// The conformance suite every backend runs: required ops, fused ops, gradients, the model, memory, dropout,
// activation checkpointing.
// Not a test runner: each backend's tests turn every check into one test case.

import type { ConformanceCheck } from './assert.js';
import { checkpointingChecks } from './checkpointing-checks.js';
import { fusedChecks } from './fused-checks.js';
import { gradChecks } from './grad-checks.js';
import { memoryChecks } from './memory-checks.js';
import { modelChecks } from './model-checks.js';
import { opChecks } from './op-checks.js';

/** Every check, cheapest first; names are unique and stable (test titles). */
export function conformanceChecks(): ConformanceCheck[] {
  const checks = [...opChecks(), ...fusedChecks(), ...memoryChecks(), ...gradChecks(), ...modelChecks(), ...checkpointingChecks()];
  const names = new Set(checks.map((c) => c.name));
  if (names.size !== checks.length) throw new Error('conformance check names must be unique');
  return checks;
}
