// The options of trainFrom, validated up front with zod so a mistake is reported before any work,
// in one readable message. Not the resolved run config (run-config.ts fills the defaults that
// depend on the model and the data).

import type { Backend, Logger } from '@hyperclone/core';
import { z } from 'zod';
import type { CheckpointEvent, EvalEvent, StartEvent, StepEvent } from './events.js';
import { SCHEDULE_KINDS } from './schedule.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const callback = <T>() => z.custom<(event: T) => void>((v) => typeof v === 'function', { message: 'must be a function' }).optional();

const isBackend = (v: unknown): v is Backend =>
  typeof v === 'object' && v !== null && typeof (v as Backend).valueAndGrad === 'function' && typeof (v as Backend).matmul === 'function';

/** 'valLoss' (lower is better), 'valAcc', or '<task>.acc' / '<task>.accNorm' of a downstream task. */
export const targetSchema = z.object({
  metric: z.string().regex(/^(valLoss|valAcc|[\w-]+\.(acc|accNorm))$/, {
    message: 'must be "valLoss", "valAcc", "<task>.acc" or "<task>.accNorm"',
  }),
  value: z.number().finite(),
});
export type Target = z.infer<typeof targetSchema>;

export const trainOptionsSchema = z
  .object({
    data: z.string().min(1),
    out: z.string().min(1),
    backend: z.custom<Backend>(isBackend, { message: 'must be a Backend instance (e.g. await createTfjsBackend())' }),
    steps: positiveInt.default(1000),
    batchSize: positiveInt.default(16),
    seqLen: positiveInt.optional(),
    gradAccum: positiveInt.optional(),
    batchTokens: positiveInt.optional(),
    lr: z.number().positive().finite().default(1e-3),
    minLr: z.number().nonnegative().finite().optional(),
    warmup: nonNegativeInt.optional(),
    rewarmup: nonNegativeInt.optional(),
    schedule: z.enum(SCHEDULE_KINDS).default('cosine'),
    decayFraction: z.number().gt(0).lte(1).default(0.2),
    weightDecay: z.number().nonnegative().finite().default(0.1),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.95),
    eps: z.number().positive().finite().default(1e-8),
    gradClip: z.number().nonnegative().finite().default(1),
    dropout: z.number().min(0).lt(1).optional(),
    seed: nonNegativeInt.default(0),
    /** 'random': windows drawn with replacement (nanoGPT); 'epoch': shuffled passes without replacement. */
    sampler: z.enum(['random', 'epoch']).default('random'),
    evalEvery: nonNegativeInt.optional(),
    evalWindows: positiveInt.default(64),
    evalBatchSize: positiveInt.optional(),
    evalSeed: nonNegativeInt.default(1234),
    evalAtStart: z.boolean().default(false),
    tasks: z.array(z.string().min(1)).default([]),
    taskLimit: positiveInt.optional(),
    logEvery: positiveInt.default(1),
    checkpointEvery: nonNegativeInt.default(0),
    keepLast: positiveInt.default(2),
    keepBest: z.boolean().default(true),
    stopAfter: positiveInt.optional(),
    resume: z.boolean().default(false),
    target: targetSchema.optional(),
    stopAtTarget: z.boolean().default(false),
    precision: z.enum(['fp32', 'tf32', 'bf16']).optional(),
    peakFlopsPerSec: z.number().positive().finite().optional(),
    logger: z
      .custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function', {
        message: 'must have debug/info/warn/error methods (pino works)',
      })
      .optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'must be an AbortSignal' }).optional(),
    onStart: callback<StartEvent>(),
    onStep: callback<StepEvent>(),
    onEval: callback<EvalEvent>(),
    onCheckpoint: callback<CheckpointEvent>(),
  })
  .strict()
  .refine((o) => !o.stopAtTarget || o.target !== undefined, { message: 'stopAtTarget needs a target', path: ['stopAtTarget'] })
  .refine((o) => o.minLr === undefined || o.minLr <= o.lr, { message: 'minLr must not exceed lr', path: ['minLr'] });

/** What a caller passes: every option but data, out and backend has a default. */
export type TrainOptions = z.input<typeof trainOptionsSchema>;
/** After validation: defaults filled in. */
export type ParsedTrainOptions = z.output<typeof trainOptionsSchema>;

/** Validates options; throws one Error listing every problem as `field: reason (got value)`. */
export function parseTrainOptions(options: unknown): ParsedTrainOptions {
  const result = trainOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    const got = valueAt(options, issue.path);
    const shown = got === undefined ? 'missing' : typeof got === 'object' || typeof got === 'function' ? typeof got : JSON.stringify(got);
    return `${path}: ${issue.message.replace(/^Invalid input: /, '')} (got ${shown})`;
  });
  throw new Error(`invalid training options: ${problems.join('; ')}`);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}
