// The shape of a `hyperclone` sub-command and the error type that becomes a one-line reason.
// Not argument parsing for any one command (each command parses its own flags with node:util parseArgs).

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Every flag with its help line, for `hyperclone <command> --help` (after the usage). */
  help?: string;
  /** Resolves to the exit code (0 when omitted). Throws CliError (or any Error) on bad input. */
  run(argv: string[]): Promise<number | void>;
}

/** A user mistake: printed as one line, exit code 2 for usage, 1 otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** parseArgs with strict flags; unknown or malformed flags become a CliError naming the usage. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>> {
  try {
    return parseArgs({ args: expandMultiple(joinDashValues(argv, options), options), strict: true, allowPositionals: false, options });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split('\n')[0]}\nusage: ${usage}`, 2);
  }
}

export function requireFlag<V>(value: V | undefined, flag: string, usage: string): V {
  if (value === undefined) throw new CliError(`missing required flag --${flag}\nusage: ${usage}`, 2);
  return value;
}

export interface NumberBounds {
  integer?: boolean;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  above?: number;
  below?: number;
}

/** A number flag: finite, an integer when asked, within the bounds given. */
export function numberFlag(value: string | undefined, flag: string, bounds: NumberBounds = {}): number | undefined {
  if (value === undefined) return undefined;
  const { integer = false, min, max, above, below } = bounds;
  const n = value.trim() === '' ? NaN : Number(value);
  const inside =
    (min === undefined || n >= min) &&
    (max === undefined || n <= max) &&
    (above === undefined || n > above) &&
    (below === undefined || n < below);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || !inside) {
    const limits = [
      min !== undefined ? `>= ${min}` : null,
      above !== undefined ? `> ${above}` : null,
      max !== undefined ? `<= ${max}` : null,
      below !== undefined ? `< ${below}` : null,
    ].filter((l) => l !== null);
    throw new CliError(
      `--${flag} must be ${integer ? 'an integer' : 'a number'}${limits.length ? ` ${limits.join(' and ')}` : ''} (got "${value}")`,
      2,
    );
  }
  return n;
}

/** An integer flag of at least `min`. */
export function integerFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  return numberFlag(value, flag, { integer: true, min });
}

/** A flag that takes one of a few words. */
export function choiceFlag<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined || (choices as readonly string[]).includes(value)) return value as T | undefined;
  const words = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)!}` : choices.join('');
  throw new CliError(`--${flag} must be ${words} (got "${value}")`, 2);
}

/**
 * `--steps -1` means `--steps=-1`: a value that starts with a single dash (a negative number, or a
 * text such as a prompt) belongs to the string flag before it, so it gets checked as a value instead of
 * being read as an unknown short option.
 */
function joinDashValues(argv: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    const takesValue = token.startsWith('--') && !token.includes('=') && options[token.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-(?!-)/.test(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

/**
 * `--input a b c` means `--input a --input b --input c` for flags that take several values (the
 * documented form `--input <file|dir>...`, docs/design.md); values run until the next token that starts with `--`.
 */
function expandMultiple(argv: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  let repeat: string | null = null;
  for (const token of argv) {
    if (token.startsWith('--')) {
      const name = token.slice(2).split('=')[0]!;
      repeat = options[name]?.multiple && !token.includes('=') ? token : null;
      out.push(token);
      continue;
    }
    if (repeat !== null && out.at(-1) !== repeat) out.push(repeat);
    out.push(token);
  }
  return out;
}
