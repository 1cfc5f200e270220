// The shape of one row of the training-option table and the helpers that write a row: the value's
// kind (from which both its zod schema and the CLI's flag parser come), its flag, its default, what a
// resume does with it, and its help line. Not the rows themselves (option-table.ts).

import { z } from 'zod';

/**
 * What `--resume` does with an option:
 * - fixed: it fixes the loss trajectory; the saved value is carried, and a different one is refused
 * - kept:  the saved value is carried; giving another one is fine (evaluation, logging, checkpoints)
 * - fresh: not carried; each invocation gives it anew (or it is folded into another saved field)
 */
export type ResumeRule = 'fixed' | 'kept' | 'fresh';

/**
 * How the option reaches the run's config.json:
 * - copy:    as given, default filled in (null when absent and without a default)
 * - derived: resolveRunConfig computes it (from the model, the data or other options)
 * - none:    not recorded under its own name
 */
export type Recorded = 'copy' | 'derived' | 'none';

/** The value an option takes; the CLI parses a flag from this and the schema checks the same bounds. */
export type ValueKind =
  | { kind: 'int'; min: number }
  | { kind: 'number'; min?: number; above?: number; max?: number; below?: number }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'switch' }
  | { kind: 'path' }
  | { kind: 'paths' }
  /** A value written as text and parsed by `parse` (several when `multiple`: the flag repeats). */
  | { kind: 'parsed'; multiple: boolean; parse: (text: string) => unknown }
  | { kind: 'custom' };

interface Value<S extends z.ZodType = z.ZodType> {
  schema: S;
  kind: ValueKind;
}

export const int = (min: number): Value<z.ZodNumber> => ({ schema: z.number().int().min(min), kind: { kind: 'int', min } });

/** A finite number; `above`/`below` are exclusive bounds, `min`/`max` inclusive. */
export function num(bounds: { min?: number; above?: number; max?: number; below?: number } = {}): Value<z.ZodNumber> {
  let s = z.number();
  if (bounds.min !== undefined) s = s.min(bounds.min);
  if (bounds.above !== undefined) s = s.gt(bounds.above);
  if (bounds.max !== undefined) s = s.max(bounds.max);
  if (bounds.below !== undefined) s = s.lt(bounds.below);
  return { schema: s, kind: { kind: 'number', ...bounds } };
}

export const choice = <const T extends readonly [string, ...string[]]>(choices: T) => ({
  schema: z.enum(choices),
  kind: { kind: 'choice', choices } as ValueKind,
});
export const switchValue = (): Value<z.ZodBoolean> => ({ schema: z.boolean(), kind: { kind: 'switch' } });
export const path = (): Value<z.ZodString> => ({ schema: z.string().min(1), kind: { kind: 'path' } });
export const paths = (): Value<z.ZodArray<z.ZodString>> => ({ schema: z.array(z.string().min(1)), kind: { kind: 'paths' } });
export const parsed = <S extends z.ZodType>(schema: S, parse: (text: string) => unknown, { multiple = false } = {}): Value<S> => ({
  schema,
  kind: { kind: 'parsed', multiple, parse },
});
export const custom = <S extends z.ZodType>(schema: S): Value<S> => ({ schema, kind: { kind: 'custom' } });

/** The CLI flag: its name and the placeholder of its value ('batch-size B'); a switch has no placeholder. */
export interface Flag {
  name: string;
  arg: string | null;
  /** The flag's value times this is the option (`--peak-tflops X` -> peakFlopsPerSec = X·1e12). */
  scale: number;
}

export interface RowSpec<D> {
  /** `name ARG` ('steps N'), `name` for a switch or a choice (the choices are the placeholder). */
  flag?: string;
  /** Its flag's value is multiplied by this (default 1). */
  scale?: number;
  default?: D;
  /** The default in words, when it is not a fixed value ("the model's context length"). */
  defaultText?: string;
  required?: boolean;
  resume: ResumeRule;
  recorded?: Recorded;
  /** Where a saved run keeps the option when config.json has no field of its name (dropout: model.dropout). */
  saved?: (config: { model: { dropout: number } }) => unknown;
  help: string;
}

export interface OptionRow<S extends z.ZodType = z.ZodType, R extends Recorded = Recorded> {
  schema: S;
  kind: ValueKind;
  flag: Flag | null;
  /** The default as docs and --help state it. */
  defaultText: string;
  resume: ResumeRule;
  recorded: R;
  saved: ((config: { model: { dropout: number } }) => unknown) | null;
  help: string;
}

type RowSchema<S extends z.ZodType, P> = P extends { required: true }
  ? S
  : P extends { default: infer D }
    ? [D] extends [undefined]
      ? z.ZodOptional<S>
      : z.ZodDefault<S>
    : z.ZodOptional<S>;
type RowRecorded<P> = P extends { recorded: infer R extends Recorded } ? R : 'copy';

/** One row: a value kind plus what the table says about it. */
export function option<S extends z.ZodType, const P extends RowSpec<z.output<S>>>(
  value: Value<S>,
  spec: P,
): OptionRow<RowSchema<S, P>, RowRecorded<P>> {
  const schema = spec.required
    ? value.schema
    : spec.default === undefined
      ? value.schema.optional()
      : value.schema.default(spec.default as never);
  return {
    schema: schema as RowSchema<S, P>,
    kind: value.kind,
    flag: spec.flag === undefined ? null : parseFlagSpec(spec.flag, value.kind, spec.scale ?? 1),
    defaultText: spec.required ? 'required' : (spec.defaultText ?? (spec.default === undefined ? '—' : showDefault(spec.default))),
    resume: spec.resume,
    recorded: (spec.recorded ?? 'copy') as RowRecorded<P>,
    saved: spec.saved ?? null,
    help: spec.help,
  };
}

function parseFlagSpec(spec: string, kind: ValueKind, scale: number): Flag {
  const [name, arg] = spec.split(' ') as [string, string | undefined];
  if (arg !== undefined) return { name, arg, scale };
  if (kind.kind === 'choice') return { name, arg: kind.choices.join('|'), scale };
  if (kind.kind !== 'switch') throw new Error(`option table: the flag --${name} needs a placeholder for its value`);
  return { name, arg: null, scale };
}

function showDefault(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}
