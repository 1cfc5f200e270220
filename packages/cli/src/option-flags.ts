// Command-line flags made from rows of the trainer's option table: the parseArgs config, each
// flag's value parsed and checked as the row's schema checks it, and the usage and --help text.
// Not a command (commands/train.ts and commands/bench.ts put these together).

import type { OptionRow } from '@hyperclone/trainer';
import { choiceFlag, CliError, numberFlag } from './command.js';

/** A flag as usage, --help and the docs show it; `arg` null for a switch. */
export interface FlagDoc {
  name: string;
  arg: string | null;
  help: string;
  multiple?: boolean;
  required?: boolean;
  /** The default in words ('—' or absent: none worth saying). */
  defaultText?: string;
}

/** What parseArgs gives back for any mix of flags. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;
export type ParseConfig = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export type Rows = Readonly<Record<string, OptionRow>>;

/** The rows of `table` with a flag, in table order (only `keys` when given). */
export function flagRows(table: Rows, keys?: readonly string[]): [string, OptionRow][] {
  return Object.entries(table).filter(([key, row]) => row.flag !== null && (!keys || keys.includes(key)));
}

export function rowDoc(row: OptionRow, name = row.flag!.name): FlagDoc {
  return {
    name,
    arg: row.flag!.arg,
    help: row.help,
    multiple: row.kind.kind === 'paths' || (row.kind.kind === 'parsed' && row.kind.multiple),
    required: row.defaultText === 'required',
    defaultText: row.defaultText,
  };
}

export function parseConfig(docs: readonly FlagDoc[]): ParseConfig {
  return Object.fromEntries(
    docs.map((d) => [
      d.name,
      d.arg === null ? { type: 'boolean' as const } : { type: 'string' as const, ...(d.multiple ? { multiple: true } : {}) },
    ]),
  );
}

/** The option a row's flag gives, parsed and checked against the row's bounds (undefined when the flag is absent). */
export function rowValue(row: OptionRow, raw: FlagValues[string], name = row.flag!.name): unknown {
  if (raw === undefined) return undefined;
  const k = row.kind;
  const text = (): string => {
    if (typeof raw !== 'string') throw new CliError(`--${name} takes a value`, 2);
    return raw;
  };
  const scale = row.flag?.scale ?? 1;
  switch (k.kind) {
    case 'int':
      return numberFlag(text(), name, { integer: true, min: k.min })! * scale;
    case 'number':
      return numberFlag(text(), name, k)! * scale;
    case 'choice':
      return choiceFlag(text(), name, k.choices);
    case 'switch':
      return raw === true;
    case 'path':
      return text();
    case 'paths':
      return (Array.isArray(raw) ? raw : [raw]).map(String);
    case 'parsed': {
      const items = (Array.isArray(raw) ? raw : [raw]).map(String);
      try {
        const values = items.map((t) => k.parse(t));
        return k.multiple ? values : values.at(-1);
      } catch (e) {
        throw new CliError((e as Error).message, 2);
      }
    }
    case 'custom':
      throw new Error(`--${name}: an option of custom kind has no flag parser`);
  }
}

/** Options from the flags of `rows` that were given (absent flags leave their option out). */
export function rowValues(rows: readonly [string, OptionRow][], values: FlagValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, row] of rows) {
    const v = rowValue(row, values[row.flag!.name]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** `--name ARG` / `[--name ARG]` / `[--name ARG]...` for each flag, in order. */
export function usageOf(docs: readonly FlagDoc[]): string {
  return docs
    .map((d) => {
      const flag = d.arg === null ? `--${d.name}` : `--${d.name} ${d.arg}`;
      return d.required ? flag : `[${flag}]${d.multiple ? '...' : ''}`;
    })
    .join(' ');
}

/** One line per flag: the flag, its help line and its default. */
export function helpOf(docs: readonly FlagDoc[]): string {
  const flags = docs.map((d) => (d.arg === null ? `--${d.name}` : `--${d.name} ${d.arg}`) + (d.multiple ? '...' : ''));
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  return docs
    .map((d, i) => {
      const shown = d.defaultText !== undefined && d.defaultText !== '—' && !(d.arg === null && d.defaultText === 'false');
      const extra = d.required ? ' (required)' : shown ? ` (default: ${d.defaultText})` : '';
      return `  ${flags[i]!.padEnd(width)}${d.help.replace(/`/g, '')}${extra.replace(/`/g, '')}`;
    })
    .join('\n');
}
