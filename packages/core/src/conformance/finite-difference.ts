// Gradient checking: a backend's valueAndGrad against central finite differences of the same function.
// Not the cases themselves (grad-checks.ts, model-checks.ts); this is the machinery they share.

import type { Backend, Tensor } from '../backend.js';
import { hostTensor, type HostTensor } from '../host-tensor.js';
import { Rng } from '../rng.js';
import { fail } from './assert.js';

export interface GradCheckInput {
  name: string;
  value: HostTensor;
  /** Coordinates to check: 'all', or this many (the largest analytic gradients first, then random ones). */
  coords?: 'all' | number;
  /** The gradient is zero by construction (e.g. a key bias under softmax): check that both are ~0 instead. */
  expectZero?: boolean;
}

export interface GradCheckOptions {
  /** Finite-difference step. 1e-2 suits float32 functions of inputs of order 1. */
  step?: number;
  /** Allowed max |analytic - numeric| over an input's checked coordinates, relative to its largest |gradient|. */
  tolerance?: number;
  seed?: number;
}

export interface GradCheckReport {
  /** Per input: max |analytic - numeric| / max |numeric| over its checked coordinates. */
  relativeErrors: Map<string, number>;
}

/**
 * Central differences in float32: (f(x + h) - f(x - h)) / 2h per chosen coordinate. Throws when an
 * input's gradient disagrees by more than the tolerance, or is so small the check would prove nothing.
 */
export function checkGradients(
  b: Backend,
  what: string,
  f: (xs: Tensor[]) => Tensor,
  inputs: GradCheckInput[],
  options: GradCheckOptions = {},
): GradCheckReport {
  const h = options.step ?? 1e-2;
  const tolerance = options.tolerance ?? 1e-2;
  const rng = new Rng(options.seed ?? 7, 'grad-check');
  const analytic = analyticGradients(b, f, inputs);
  const relativeErrors = new Map<string, number>();
  const base = inputs.map((input) => b.keep(b.fromHost(input.value)));
  try {
    inputs.forEach((input, i) => {
      const grad = analytic[i]!;
      let worstDiff = 0;
      let scale = 0;
      for (const c of chooseCoords(grad, input.coords ?? 'all', rng)) {
        const x = input.value.data[c]!;
        const [up, down] = [Math.fround(x + h), Math.fround(x - h)]; // the step float32 really takes
        const numeric = (evaluate(b, f, base, i, input.value, c, up) - evaluate(b, f, base, i, input.value, c, down)) / (up - down);
        const diff = Math.abs(numeric - grad[c]!);
        worstDiff = Number.isNaN(diff) ? Infinity : Math.max(worstDiff, diff);
        scale = Math.max(scale, Math.abs(numeric));
      }
      if (input.expectZero) {
        const largest = Math.max(scale, ...Array.from(grad, Math.abs));
        if (!(largest <= 1e-4)) fail(`${what}: d/d${input.name} should be 0 by construction but reaches ${largest.toExponential(2)}`);
        relativeErrors.set(input.name, 0);
        return;
      }
      if (scale < 1e-4)
        fail(`${what}: d/d${input.name} is below 1e-4 on every checked coordinate, so the check proves nothing; pick other inputs`);
      const relative = worstDiff / scale;
      relativeErrors.set(input.name, relative);
      if (!(relative <= tolerance)) {
        fail(
          `${what}: gradient of ${input.name} differs from central differences by ${relative.toExponential(2)} of its size (allowed ${tolerance})`,
        );
      }
    });
  } finally {
    b.dispose(base);
  }
  return { relativeErrors };
}

function analyticGradients(b: Backend, f: (xs: Tensor[]) => Tensor, inputs: GradCheckInput[]): Float32Array[] {
  const grads: Float32Array[] = [];
  b.tidy(() => {
    const xs = inputs.map((input) => b.fromHost(input.value));
    const result = b.valueAndGrad(f, xs);
    if (result.grads.length !== xs.length) fail(`valueAndGrad returned ${result.grads.length} gradients for ${xs.length} inputs`);
    result.grads.forEach((g, i) => {
      const input = inputs[i]!;
      const shape = b.shape(g);
      if (shape.join() !== input.value.shape.join()) {
        fail(`gradient of ${input.name} has shape [${shape.join(', ')}], expected [${input.value.shape.join(', ')}]`);
      }
      grads.push(Float32Array.from(b.toHost(g).data));
    });
  });
  return grads;
}

/** f with input i's coordinate c set to x, the other inputs as uploaded once in `base`. */
function evaluate(b: Backend, f: (xs: Tensor[]) => Tensor, base: Tensor[], i: number, value: HostTensor, c: number, x: number): number {
  const data = Float32Array.from(value.data);
  data[c] = x;
  return b.tidy(() => {
    const xs = base.slice();
    xs[i] = b.fromHost(hostTensor(value.shape, data));
    return b.toHost(f(xs)).data[0]!;
  });
}

function chooseCoords(grad: Float32Array, coords: 'all' | number, rng: Rng): number[] {
  if (coords === 'all' || coords >= grad.length) return Array.from(grad.keys());
  const byMagnitude = Array.from(grad.keys()).sort((p, q) => Math.abs(grad[q]!) - Math.abs(grad[p]!));
  const chosen = new Set(byMagnitude.slice(0, Math.ceil(coords / 2)));
  while (chosen.size < coords) chosen.add(rng.int(grad.length));
  return [...chosen];
}
