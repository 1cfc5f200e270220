// Assertions for conformance checks: they throw an Error that says what differed, where and by how much.
// Not a test framework: no runner, no reporting; a check is a function that throws or returns.

import type { Backend } from '../backend.js';
import { numel, sameShape, type HostTensor } from '../host-tensor.js';
import { unravel } from './host-ops.js';

/** A conformance check: run(b) throws with a clear message when backend b gets it wrong. */
export interface ConformanceCheck {
  name: string;
  run(b: Backend): void;
}

export interface Tolerance {
  /** Allowed |actual - expected| is atol + rtol·|expected|. */
  rtol: number;
  atol: number;
}

/** float32 engines against float64 host math on values of order 1. */
export const OP_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-5 };

export function fail(message: string): never {
  throw new Error(message);
}

export function assertShape(what: string, actual: readonly number[], expected: readonly number[]): void {
  if (!sameShape(actual, expected)) fail(`${what}: shape is [${actual.join(', ')}], expected [${expected.join(', ')}]`);
}

/** Elementwise closeness; also compares shapes when `expected` is a tensor. */
export function assertClose(
  what: string,
  actual: HostTensor,
  expected: HostTensor | ArrayLike<number>,
  tol: Tolerance = OP_TOLERANCE,
): void {
  const expectedData = 'shape' in expected ? expected.data : expected;
  if ('shape' in expected) assertShape(what, actual.shape, expected.shape);
  if (actual.data.length !== expectedData.length) {
    fail(`${what}: ${actual.data.length} values, expected ${expectedData.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expectedData.length; i++) {
    const a = actual.data[i]!;
    const e = expectedData[i]!;
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst >= 0) {
    const a = actual.data[worst]!;
    const e = expectedData[worst]!;
    const at = numel(actual.shape) === actual.data.length ? `[${unravel(worst, actual.shape).join(', ')}]` : `${worst}`;
    fail(
      `${what}: at ${at} got ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(2)} > ${(tol.atol + tol.rtol * Math.abs(e)).toExponential(2)} allowed)`,
    );
  }
}

export function assertEqualValues(what: string, actual: HostTensor, expected: ArrayLike<number>): void {
  assertClose(what, actual, expected, { rtol: 0, atol: 0 });
}

export function assertDtype(what: string, actual: string, expected: string): void {
  if (actual !== expected) fail(`${what}: dtype is ${actual}, expected ${expected}`);
}

export function assertTrue(condition: boolean, message: string): void {
  if (!condition) fail(message);
}
