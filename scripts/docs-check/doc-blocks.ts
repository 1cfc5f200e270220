// The fenced code blocks of a markdown page and what the docs check does with each: run it (```sh,
// ```bash, ```ts), run it with short settings, skip it (a marker says why) or leave it (text, json...).
// Not the runner (scripts/docs-check.ts).

/** Languages the check runs; every other fence must name a language that says it is not a command. */
export const RUN_LANGUAGES = ['sh', 'bash', 'ts'] as const;
export type RunLanguage = (typeof RUN_LANGUAGES)[number];

/** One fenced block: where it starts (1-based line of the opening fence), its language and text. */
export interface DocBlock {
  line: number;
  language: string;
  code: string;
  /** What the marker line directly above the fence asks for; `run` when there is none. */
  action: BlockAction;
}

/**
 * - run: as written
 * - short: as written after replacing each `from` by its `to` (each `from` must occur in the block)
 * - skip: not run, listed with the reason
 * - show: not a command (a ```text synopsis, a ```json sample)
 */
export type BlockAction =
  { kind: 'run' } | { kind: 'short'; replace: Array<{ from: string; to: string }> } | { kind: 'skip'; reason: string } | { kind: 'show' };

const MARKER = /^<!--\s*docs-check:\s*(.*?)\s*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/** `short "A" -> "B"; "C" -> "D"`: the literal replacements, in order. */
function parseShort(spec: string, where: string): Array<{ from: string; to: string }> {
  const pairs = spec.split(/;\s*/).filter((p) => p.trim() !== '');
  const replace = pairs.map((pair) => {
    const m = /^"((?:[^"\\]|\\.)*)"\s*->\s*"((?:[^"\\]|\\.)*)"$/.exec(pair.trim());
    if (!m) throw new Error(`${where}: a docs-check short marker takes "FROM" -> "TO" pairs separated by ";", got ${JSON.stringify(pair)}`);
    return { from: JSON.parse(`"${m[1]}"`) as string, to: JSON.parse(`"${m[2]}"`) as string };
  });
  if (replace.length === 0) throw new Error(`${where}: a docs-check short marker needs at least one "FROM" -> "TO" pair`);
  return replace;
}

function parseMarker(text: string, where: string): BlockAction {
  const skip = /^skip\s*\((.+)\)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1]!.trim() };
  const short = /^short\s+(.+)$/.exec(text);
  if (short) return { kind: 'short', replace: parseShort(short[1]!, where) };
  throw new Error(`${where}: unknown docs-check marker "${text}"; use skip (reason) or short "FROM" -> "TO"`);
}

/** Every fenced block of a page, with the action its marker asks for. `page` names it in errors. */
export function docBlocks(markdown: string, page: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const where = `${page}:${i + 1}`;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^${indent}${fence![0]}{${fence!.length},}\\s*$`).test(lines[j]!); j++) {
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`${where}: the code block opened here is never closed`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1]!.trim()) : null;
    if (!language) throw new Error(`${where}: a code block without a language; use sh, bash or ts for commands, text for synopses`);
    const runs = (RUN_LANGUAGES as readonly string[]).includes(language);
    let action: BlockAction = runs ? { kind: 'run' } : { kind: 'show' };
    if (marker) {
      if (!runs) throw new Error(`${where}: a docs-check marker above a ${language} block, which is never run`);
      action = parseMarker(marker[1]!, where);
    }
    blocks.push({ line: i + 1, language, code: body.join('\n'), action });
    i = j;
  }
  return blocks;
}

/** The code the check runs: the block with its short replacements made (each must match). */
export function codeToRun(block: DocBlock, page: string): string {
  if (block.action.kind !== 'short') return block.code;
  let code = block.code;
  for (const { from, to } of block.action.replace) {
    if (!code.includes(from)) throw new Error(`${page}:${block.line}: the short marker's "${from}" is not in the block; update the marker`);
    code = code.replaceAll(from, to);
  }
  return code;
}
