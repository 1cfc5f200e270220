// The option list of docs/training.md, rendered from the trainer's option table and the train
// command's own flags, so the page cannot drift from the code (a test compares the two; `npm run
// docs:options` rewrites it). Not --help (option-flags.ts).

import { TRAIN_OPTIONS, type OptionRow, type TrainOptionKey } from '@hyperclone/trainer';
import { INIT_FLAGS, OPTION_FLAGS } from './commands/train.js';
import { rowDoc, type FlagDoc } from './option-flags.js';

export const OPTIONS_BEGIN =
  '<!-- options: generated from the option table (packages/trainer/src/options/option-table.ts); npm run docs:options -->';
export const OPTIONS_END = '<!-- options: end -->';

const RESUME_WORDS = { fixed: 'must match', kept: 'kept', fresh: '—' } as const;

/** The markdown table: one line per option (library name first, flag second), and one for --model/--init. */
export function trainOptionsMarkdown(): string {
  const lines = ['| option | flag | default | on `--resume` | meaning |', '|---|---|---|---|---|'];
  for (const key of Object.keys(TRAIN_OPTIONS) as TrainOptionKey[]) {
    const row: OptionRow = TRAIN_OPTIONS[key];
    const flags = [...(row.flag ? [rowDoc(row)] : []), ...(OPTION_FLAGS[key] ?? [])];
    lines.push(line([code(key), flagCell(flags), cell(row.defaultText), RESUME_WORDS[row.resume], cell(row.help)]));
    if (key === 'out') {
      const help = INIT_FLAGS.map((d) => `${code(`--${d.name}`)}: ${cell(d.help)}`).join('; ');
      lines.push(
        line(['—', flagCell(INIT_FLAGS, ' / '), 'one required (CLI)', '—', `the initializer (trainFrom's first argument). ${help}`]),
      );
    }
  }
  return lines.join('\n');
}

/** `text` with the generated block between the markers replaced by the table (throws when the markers are missing). */
export function withOptionsTable(text: string): string {
  const begin = text.indexOf(OPTIONS_BEGIN);
  const end = text.indexOf(OPTIONS_END);
  if (begin < 0 || end < begin) throw new Error(`the page has no ${OPTIONS_BEGIN} ... ${OPTIONS_END} block for the option table`);
  return `${text.slice(0, begin + OPTIONS_BEGIN.length)}\n\n${trainOptionsMarkdown()}\n\n${text.slice(end)}`;
}

function flagCell(flags: readonly FlagDoc[], joiner = ', '): string {
  if (!flags.length) return '—';
  return flags.map((d) => code(`--${d.name}${d.arg === null ? '' : ` ${d.arg}`}`) + (d.multiple ? ' (repeat)' : '')).join(joiner);
}

const code = (s: string): string => `\`${s.replace(/\|/g, '\\|')}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|');
const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
