// The benchmark scripts' command-line flags: each script declares its flags once (a name, a kind, a default) and
// reads them with readFlags before any work starts. Built on Node's own parseArgs (node:util), strict: an unknown
// flag, a flag without its value, a flag given twice (but for a repeatable one) or a stray argument is an error that
// names the flag and the script's flags; values are checked here, in one place (positive integers, numbers, choices,
// comma lists). With `tail`, everything after a lone `--` comes back untouched (flags a script hands on to another
// command).
//
//   const f = readFlags('benchmarks/x.ts', { steps: int(10), modes: list('a,b'), out: string('x.json') });
//   f.steps; // 10, or the --steps given (a positive integer, or the script stops with an error)

import { parseArgs } from 'node:util';

type Raw = string | string[] | undefined;

/** One declared flag (every one takes a value): whether it repeats, and how its raw value becomes a T. */
export interface Flag<T> {
  readonly multiple: boolean;
  read(raw: Raw, name: string): T;
}

/** A wrong command line: readFlags prints the message (no stack) and exits with status 2. */
export class FlagError extends Error {
  override name = 'FlagError';
}

export type FlagSpec = Record<string, Flag<unknown>>;
export type Flags<S extends FlagSpec> = { -readonly [K in keyof S]: S[K] extends Flag<infer T> ? T : never };

/** A flag taking one value: the default where not given, else the raw string parsed (never an empty one). */
function single<T>(fallback: T | ((name: string) => T), parse: (raw: string, name: string) => T): Flag<T> {
  return {
    multiple: false,
    read: (raw, name) => {
      if (raw === undefined) return typeof fallback === 'function' ? (fallback as (name: string) => T)(name) : fallback;
      if (raw === '') throw new FlagError(`--${name} needs a value`);
      return parse(raw as string, name);
    },
  };
}

function positiveInt(raw: string, name: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < 1) throw new FlagError(`--${name} must be a positive integer (got ${raw})`);
  return v;
}

function entries(raw: string, name: string): string[] {
  const xs = raw.split(',');
  if (xs.includes('')) throw new FlagError(`--${name} takes a comma-separated list with no empty entries (got ${raw})`);
  return xs;
}

/** A string; without a default, undefined where not given. */
export function string(): Flag<string | undefined>;
export function string(fallback: string): Flag<string>;
export function string(fallback?: string): Flag<string | undefined> {
  return single(fallback, (raw) => raw);
}

/** A positive integer (`--NAME must be a positive integer (got x)`). */
export function int(): Flag<number | undefined>;
export function int(fallback: number): Flag<number>;
export function int(fallback?: number): Flag<number | undefined> {
  return single(fallback, positiveInt);
}

export interface Bounds {
  /** The least value allowed. */
  min?: number;
  /** Values must be above this. */
  above?: number;
}

/** A finite number, within `bounds` where given. */
export function number(fallback?: undefined, bounds?: Bounds): Flag<number | undefined>;
export function number(fallback: number, bounds?: Bounds): Flag<number>;
export function number(fallback?: number, { min, above }: Bounds = {}): Flag<number | undefined> {
  const what = `a number${min === undefined ? '' : ` >= ${min}`}${above === undefined ? '' : ` > ${above}`}`;
  return single(fallback, (raw, name) => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || (min !== undefined && v < min) || (above !== undefined && v <= above))
      throw new FlagError(`--${name} must be ${what} (got ${raw})`);
    return v;
  });
}

/** One of a few words. */
export function oneOf<const C extends string>(choices: readonly C[]): Flag<C | undefined>;
export function oneOf<const C extends string>(choices: readonly C[], fallback: NoInfer<C>): Flag<C>;
export function oneOf<const C extends string>(choices: readonly C[], fallback?: C): Flag<C | undefined> {
  return single(fallback, (raw, name) => {
    if (!(choices as readonly string[]).includes(raw)) throw new FlagError(`--${name} must be ${choices.join(' or ')} (got ${raw})`);
    return raw as C;
  });
}

/** A comma-separated list, `a,b,c` (the default written the same way), each entry one of `choices` where given. */
export function list(): Flag<string[] | undefined>;
export function list(fallback: string): Flag<string[]>;
export function list<const C extends string>(fallback: string, choices: readonly C[]): Flag<C[]>;
export function list(fallback?: string, choices?: readonly string[]): Flag<string[] | undefined> {
  const parse = (raw: string, name: string): string[] => {
    const xs = entries(raw, name);
    const other = choices && xs.find((x) => !choices.includes(x));
    if (other !== undefined) throw new FlagError(`--${name} takes ${choices!.join(', ')} (got ${other})`);
    return xs;
  };
  return single((name) => (fallback === undefined ? undefined : parse(fallback, name)), parse);
}

/** A comma-separated list of positive integers, `2,4` (the default written the same way). */
export function ints(): Flag<number[] | undefined>;
export function ints(fallback: string): Flag<number[]>;
export function ints(fallback?: string): Flag<number[] | undefined> {
  const parse = (raw: string, name: string): number[] =>
    entries(raw, name).map((x) => {
      const v = Number(x);
      if (!Number.isInteger(v) || v < 1) throw new FlagError(`--${name} must be positive integers, comma-separated (got ${raw})`);
      return v;
    });
  return single((name) => (fallback === undefined ? undefined : parse(fallback, name)), parse);
}

/** A flag that may be given any number of times: its values in order (none: []), each through `parse` where given. */
export function many(): Flag<string[]>;
export function many<T>(parse: (raw: string, name: string) => T): Flag<T[]>;
export function many<T>(parse?: (raw: string, name: string) => T): Flag<(T | string)[]> {
  return {
    multiple: true,
    read: (raw, name) =>
      ((raw as string[] | undefined) ?? []).map((x) => {
        if (x === '') throw new FlagError(`--${name} needs a value`);
        return parse ? parse(x, name) : x;
      }),
  };
}

/** `flag`, which must be given (`--NAME VALUE is required`, VALUE as `value` says). */
export function required<T>(flag: Flag<T | undefined>, value = 'VALUE'): Flag<T> {
  return {
    ...flag,
    read: (raw, name) => {
      const v = flag.read(raw, name);
      if (v === undefined || (Array.isArray(v) && v.length === 0)) throw new FlagError(`--${name} ${value} is required`);
      return v;
    },
  };
}

export interface FlagOptions {
  /** What the arguments after a lone `--` are for (`extra hyperclone train flags`); without it `--` is refused. */
  tail?: string;
}

/** parseArgs's options for `spec`. */
const optionsOf = (spec: FlagSpec) =>
  Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, { type: 'string' as const, multiple: f.multiple }]));

/** How the errors list a script's flags. */
function known(spec: FlagSpec, o: FlagOptions): string {
  const names = Object.entries(spec).map(([name, f]) => `--${name}${f.multiple ? ' (repeatable)' : ''}`);
  return `known flags: ${names.length ? names.join(', ') : 'none'}${o.tail ? `; after --: ${o.tail}` : ''}`;
}

/** The first thing wrong with `args`, read leniently token by token (what strict parseArgs refused, in our words). */
function problem(args: string[], spec: FlagSpec, o: FlagOptions): string | null {
  const { tokens } = parseArgs({ args, options: optionsOf(spec), strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'option-terminator') return `-- takes nothing after it here (${known(spec, o)})`;
    if (t.kind === 'positional') return `unexpected argument '${t.value}' (${known(spec, o)})`;
    const f = spec[t.name];
    if (!f || !Object.hasOwn(spec, t.name)) return `unknown flag ${t.rawName} (${known(spec, o)})`;
    if (t.value === undefined) return `${t.rawName} needs a value`;
    if (!t.inlineValue && t.value.startsWith('-'))
      return `${t.rawName} needs a value (got ${t.value}, which reads as a flag; write ${t.rawName}=${t.value} if it is the value)`;
    if (!f.multiple && seen.has(t.name)) return `${t.rawName} is given more than once`;
    seen.add(t.name);
  }
  return null;
}

/**
 * Reads `argv` (the arguments after the script) against `spec`: every flag's value, checked, its default where not
 * given; and `tail`, the arguments after a lone `--` where `options.tail` allows them. Throws a FlagError.
 */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S, options: FlagOptions = {}): Flags<S> & { tail: string[] } {
  if (Object.hasOwn(spec, 'tail')) throw new Error('a flag named tail would hide the arguments after --');
  const dash = options.tail === undefined ? -1 : argv.indexOf('--');
  const args = dash < 0 ? [...argv] : argv.slice(0, dash);
  const tail = dash < 0 ? [] : argv.slice(dash + 1);
  let values: Record<string, Raw>;
  try {
    values = parseArgs({ args, options: optionsOf(spec), strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new FlagError(problem(args, spec, options) ?? `${(e as Error).message} (${known(spec, options)})`);
  }
  const repeated = problem(args, spec, options); // what strict parseArgs lets through: a single flag given twice
  if (repeated) throw new FlagError(repeated);
  const out: Record<string, unknown> = { tail };
  for (const [name, f] of Object.entries(spec)) out[name] = f.read(values[name], name);
  return out as Flags<S> & { tail: string[] };
}

/** parseFlags over this process's arguments; a wrong command line prints `SCRIPT: the error` and exits with status 2. */
export function readFlags<S extends FlagSpec>(script: string, spec: S, options: FlagOptions = {}): Flags<S> & { tail: string[] } {
  try {
    return parseFlags(process.argv.slice(2), spec, options);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`${script}: ${e.message}\n`);
    process.exit(2);
  }
}
