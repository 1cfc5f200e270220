// The options of trainFrom, validated up front with zod so a mistake is reported before any work,
// in one readable message; the schema is the option table's (option-table.ts). Not the resolved run
// config (run-config.ts fills the defaults that depend on the model and the data).

import { z } from 'zod';
import { TRAIN_OPTIONS } from './option-table.js';

type Table = typeof TRAIN_OPTIONS;
const shape = Object.fromEntries(Object.entries(TRAIN_OPTIONS).map(([key, row]) => [key, row.schema])) as {
  [K in keyof Table]: Table[K]['schema'];
};

/** The table's schemas as one strict object, plus the checks that involve two options. */
export const trainOptionsSchema = z
  .object(shape)
  .strict()
  .refine((o) => !o.stopAtTarget || o.target !== undefined, { message: 'stopAtTarget needs a target', path: ['stopAtTarget'] })
  .refine((o) => o.minLr === undefined || o.minLr <= o.lr, { message: 'minLr must not exceed lr', path: ['minLr'] })
  .refine((o) => o.zeroStage === 0 || o.backend.name === 'torch', {
    message: "ZeRO needs the torch backend (c10d's collectives); tfjs trains in one process: use zeroStage 0",
    path: ['zeroStage'],
  });

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
