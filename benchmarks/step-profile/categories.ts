// The parts of a training step, recognized from a sampled call stack by function and file name.
// Not the profiler run or the report (step-profile.ts); names cover the trainer before and after the
// on-device clip, so old and new profiles sort the same way.

export interface Frame {
  name: string;
  /** The script's file name (no directory), e.g. 'training-run.js'. */
  file: string;
}

export const PARTS = [
  'data (sampler)',
  'batch upload',
  'forward',
  'backward',
  'gradient accumulation',
  'gradient norm + clip',
  'non-finite guard',
  'optimizer (AdamW)',
  'host reads (loss, norm)',
  'dispose, tidy, other step JS',
  'accounting',
  'logging (metrics.jsonl, log, progress)',
  'evaluation',
  'checkpoint',
  'between steps',
] as const;

export type Part = (typeof PARTS)[number];

const has = (stack: Frame[], name: string, file?: string) => stack.some((f) => f.name === name && (!file || f.file === file));

/** Inside trainStep: the innermost recognized call decides. */
function stepPart(stack: Frame[]): Part {
  if (has(stack, 'nextBatch') || has(stack, 'next', 'batch-sampler.js')) return 'data (sampler)';
  if (has(stack, 'finishGradients') || has(stack, 'clipGradients')) return 'gradient norm + clip';
  if (has(stack, 'record', 'step-readback.js')) return 'non-finite guard';
  if (has(stack, 'step', 'adamw.js')) return 'optimizer (AdamW)';
  if (has(stack, 'valueAndGrad')) {
    if (has(stack, 'forward', 'model.js') || has(stack, 'crossEntropyLoss')) return 'forward';
    return 'backward';
  }
  if (has(stack, 'fromHost')) return 'batch upload';
  if (has(stack, 'toHost')) return 'host reads (loss, norm)';
  if (has(stack, 'add')) return 'gradient accumulation';
  if (has(stack, 'addStep', 'accounting.js') || has(stack, 'mfu') || has(stack, 'deviceHours')) return 'accounting';
  return 'dispose, tidy, other step JS';
}

/** The part a sample belongs to; null outside the training loop (start-up, teardown). */
export function categorize(stack: Frame[]): Part | null {
  if (has(stack, 'settle', 'step-readback.js')) return 'host reads (loss, norm)';
  if (has(stack, 'evaluate', 'training-run.js')) return 'evaluation';
  if (has(stack, 'checkpoint', 'training-run.js') || has(stack, 'saveBest')) return 'checkpoint';
  if (has(stack, 'logStep') || has(stack, 'stepRow')) return 'logging (metrics.jsonl, log, progress)';
  if (has(stack, 'trainStep')) return stepPart(stack);
  if (has(stack, 'loop', 'training-run.js') || has(stack, 'loop', 'train-from.js')) return 'between steps';
  return null;
}
