// Rotary scaling: the frequencies each rotated pair turns at, as transformers computes them (modeling_rope_utils.py).
// Not the rotation itself (model.ts applies the tables) and not reading a Hugging Face config (@hyperclone/hf).

/**
 * Every field resolved when the model is imported, so the forward needs nothing else:
 * linear divides every frequency by `factor`; llama3 divides the low frequencies by `factor` and blends
 * the middle band (Llama 3.1/3.2); yarn blends interpolated and original frequencies over a ramp and
 * scales cos/sin by `attentionFactor`; longrope divides frequency i by shortFactor[i] (longFactor[i]
 * once a sequence is longer than `originalContextLength`) and scales cos/sin by `attentionFactor`;
 * dynamic (NTK) changes nothing until a sequence passes the context length, which ours never does.
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalContextLength: number }
  | { type: 'yarn'; factor: number; attentionFactor: number; betaFast: number; betaSlow: number; originalContextLength: number }
  | { type: 'longrope'; shortFactor: number[]; longFactor: number[]; attentionFactor: number; originalContextLength: number };

export const ROPE_SCALING_TYPES: readonly RopeScaling['type'][] = ['linear', 'dynamic', 'llama3', 'yarn', 'longrope'];

/** What is wrong with a scaling for `dims` rotated dimensions per head (empty when nothing is). */
export function ropeScalingProblems(s: RopeScaling, dims: number): string[] {
  if (typeof s !== 'object' || s === null || !ROPE_SCALING_TYPES.includes(s.type))
    return [`ropeScaling.type must be one of ${ROPE_SCALING_TYPES.join(', ')} (got ${JSON.stringify((s as { type?: unknown })?.type)})`];
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const numbers: Record<string, unknown> = { ...s };
  delete numbers['type'];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(numbers)) {
    if (Array.isArray(v)) {
      if (v.length !== dims / 2 || !v.every(positive))
        problems.push(`ropeScaling.${key} must hold ${dims / 2} positive numbers, one per rotated pair (got ${v.length})`);
    } else if (!positive(v)) problems.push(`ropeScaling.${key} must be a positive number (got ${String(v)})`);
  }
  if (s.type === 'llama3' && !(s.highFreqFactor > s.lowFreqFactor))
    problems.push(`ropeScaling.highFreqFactor (${s.highFreqFactor}) must exceed lowFreqFactor (${s.lowFreqFactor})`);
  return problems;
}

/**
 * The frequency of each rotated pair i < dims/2 for a forward over `seqLen` positions, and the factor
 * cos and sin are multiplied by. Unscaled: θ^(-2i/dims).
 */
export function ropeFrequencies(
  dims: number,
  theta: number,
  scaling: RopeScaling | undefined,
  seqLen: number,
): { inverseFrequencies: Float64Array; attentionFactor: number } {
  const half = dims / 2;
  const base = Float64Array.from({ length: half }, (_, i) => theta ** (-(2 * i) / dims)); // θ^(-2i/d)
  if (!scaling || scaling.type === 'dynamic') return { inverseFrequencies: base, attentionFactor: 1 };
  switch (scaling.type) {
    case 'linear':
      return { inverseFrequencies: base.map((f) => f / scaling.factor), attentionFactor: 1 };
    case 'llama3':
      return { inverseFrequencies: llama3(base, scaling), attentionFactor: 1 };
    case 'yarn':
      return { inverseFrequencies: yarn(base, dims, theta, scaling), attentionFactor: scaling.attentionFactor };
    case 'longrope': {
      const factors = seqLen > scaling.originalContextLength ? scaling.longFactor : scaling.shortFactor;
      return { inverseFrequencies: base.map((f, i) => f / factors[i]!), attentionFactor: scaling.attentionFactor };
    }
  }
}

/** Llama 3.1: wavelengths beyond original/lowFreqFactor slow down by factor, those under original/highFreqFactor keep, a blend between. */
function llama3(base: Float64Array, s: Extract<RopeScaling, { type: 'llama3' }>): Float64Array {
  const lowWavelength = s.originalContextLength / s.lowFreqFactor;
  const highWavelength = s.originalContextLength / s.highFreqFactor;
  return base.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength > lowWavelength) return f / s.factor;
    if (wavelength < highWavelength) return f;
    const smooth = (s.originalContextLength / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return ((1 - smooth) * f) / s.factor + smooth * f;
  });
}

/** YaRN: pairs that turn fewer than betaSlow times over the original context interpolate (÷ factor), more than betaFast keep, a ramp between. */
function yarn(base: Float64Array, dims: number, theta: number, s: Extract<RopeScaling, { type: 'yarn' }>): Float64Array {
  const correctionDim = (rotations: number): number =>
    (dims * Math.log(s.originalContextLength / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  const low = Math.max(Math.floor(correctionDim(s.betaFast)), 0);
  let high = Math.min(Math.ceil(correctionDim(s.betaSlow)), dims - 1);
  if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
  return base.map((f, i) => {
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const extrapolation = 1 - ramp;
    return (f / s.factor) * (1 - extrapolation) + f * extrapolation;
  });
}
