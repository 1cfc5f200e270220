// The conformance suite's public surface: the checks, and the helpers backends' own tests reuse.
// Not an implementation: see conformance-checks.ts and its sibling files.

export { conformanceChecks } from './conformance-checks.js';
export { assertClose, type ConformanceCheck, type Tolerance } from './assert.js';
export { checkGradients, type GradCheckInput, type GradCheckOptions, type GradCheckReport } from './finite-difference.js';
export { conformanceWeights, modelLoss, TINY_GPT, TINY_LLAMA } from './model-checks.js';
