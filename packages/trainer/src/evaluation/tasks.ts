// Downstream multiple-choice tasks from JSONL ({query, choices, gold} per line: a file, or a built-in
// task by name, builtin-tasks.ts), scored like lm-evaluation-harness: summed log-probability of each continuation (acc) and
// that sum per character (accNorm). Not generation-based tasks and not few-shot prompting.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Backend, ModelConfig, Params } from '@hyperclone/core';
import { BUILTIN_TASKS, builtinTaskFile, isBuiltinTask, looksLikeTaskName } from './builtin-tasks.js';
import { forward, fusedOps, hostTensor } from '@hyperclone/core';

export interface TaskItem {
  query: string;
  choices: string[];
  /** 0-based index of the right choice. */
  gold: number;
}

export interface Task {
  /** A built-in task's name; for a file, its folder name for `<name>/docs.jsonl`, else the file name without `.jsonl`. */
  name: string;
  /** The JSONL file read (a built-in task's file inside this package). */
  file: string;
  items: TaskItem[];
}

export interface TaskScore {
  /** Accuracy by summed log-probability. */
  acc: number;
  /** Accuracy by log-probability per character of the choice. */
  accNorm: number;
  /** Items scored. */
  count: number;
}

/** What scoring needs of a tokenizer. */
export interface TaskTokenizer {
  encode(text: string): ArrayLike<number>;
  readonly eotId: number;
}

export interface ScoreOptions {
  /** Score only the first N items (quick evaluations during training). */
  limit?: number;
  /** Put between query and choice (lm-evaluation-harness's target delimiter). Default ' '. */
  delimiter?: string;
  /** Upper bound on rows·T·V logits held at once (memory). Default 8M. */
  maxLogitsPerBatch?: number;
}

/** Loads a task: a built-in one by name (BUILTIN_TASKS), else a JSONL file. */
export async function loadTask(spec: string): Promise<Task> {
  if (isBuiltinTask(spec)) return { ...(await loadTaskFile(builtinTaskFile(spec))), name: spec };
  if (!existsSync(spec) && looksLikeTaskName(spec)) {
    throw new Error(
      `unknown task "${spec}": the built-in tasks are ${BUILTIN_TASKS.join(', ')}; or give a JSONL file ({query, choices, gold} per line)`,
    );
  }
  return loadTaskFile(spec);
}

async function loadTaskFile(file: string): Promise<Task> {
  if (existsSync(file) && statSync(file).isDirectory()) {
    const docs = join(file, 'docs.jsonl');
    throw new Error(
      `task ${file} is a directory; give its JSONL file${existsSync(docs) ? `: --task ${docs}` : ' ({query, choices, gold} per line)'}`,
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file (built-in tasks: ${BUILTIN_TASKS.join(', ')})` : (code ?? (e as Error).message);
    throw new Error(`cannot read task file ${file}: ${why}`);
  }
  const items = text
    .split('\n')
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, n]) => parseItem(line, `${file}:${n}`));
  if (items.length === 0) throw new Error(`task file ${file} has no items; expected one JSON object {query, choices, gold} per line`);
  const name = basename(file) === 'docs.jsonl' ? basename(dirname(file)) : basename(file).replace(/\.jsonl$/, '');
  return { name, file, items };
}

function parseItem(line: string, where: string): TaskItem {
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`${where} is not valid JSON; expected {query, choices, gold} per line`);
  }
  const { query, choices, gold } = row;
  if (typeof query !== 'string') throw new Error(`${where}: "query" must be a string`);
  if (!Array.isArray(choices) || choices.length < 2 || !choices.every((c) => typeof c === 'string')) {
    throw new Error(`${where}: "choices" must be an array of at least two strings`);
  }
  if (!Number.isInteger(gold) || (gold as number) < 0 || (gold as number) >= choices.length) {
    throw new Error(`${where}: "gold" must be an index into choices (0..${choices.length - 1}), got ${JSON.stringify(gold)}`);
  }
  return { query, choices: choices as string[], gold: gold as number };
}

interface Row {
  item: number;
  /** (L) tokens fed to the model */
  input: number[];
  /** Scored positions are the last `scored` of the input. */
  scored: number;
  /** The continuation tokens, aligned to the last `scored` positions. */
  target: number[];
}

/** Scores the items; each choice's log-probability is summed over its own tokens given the query. */
export function scoreTask(
  b: Backend,
  config: ModelConfig,
  params: Params,
  tokenizer: TaskTokenizer,
  items: readonly TaskItem[],
  options: ScoreOptions = {},
): TaskScore {
  const chosen = items.slice(0, options.limit ?? items.length);
  const logProbs = choiceLogProbs(b, config, params, tokenizer, chosen, options);
  let hits = 0;
  let hitsNorm = 0;
  chosen.forEach((item, i) => {
    const sums = logProbs[i]!;
    const perChar = sums.map((s, j) => s / Math.max(1, [...item.choices[j]!].length));
    if (argmax(sums) === item.gold) hits++;
    if (argmax(perChar) === item.gold) hitsNorm++;
  });
  const count = chosen.length;
  return { acc: count ? hits / count : 0, accNorm: count ? hitsNorm / count : 0, count };
}

/** log p(delimiter + choice | query) for every choice of every item: [item][choice]. */
export function choiceLogProbs(
  b: Backend,
  config: ModelConfig,
  params: Params,
  tokenizer: TaskTokenizer,
  items: readonly TaskItem[],
  options: ScoreOptions = {},
): number[][] {
  const rows = items.flatMap((item, i) =>
    item.choices.map((choice) => makeRow(i, item.query, (options.delimiter ?? ' ') + choice, tokenizer, config)),
  );
  const flat = rowLogProbs(b, config, params, rows, options.maxLogitsPerBatch ?? 8_000_000);
  let r = 0;
  return items.map((item) => item.choices.map(() => flat[r++]!));
}

function makeRow(item: number, query: string, continuation: string, tok: TaskTokenizer, config: ModelConfig): Row {
  let context = Array.from(tok.encode(query));
  if (context.length === 0) context = [tok.eotId];
  const cont = Array.from(tok.encode(continuation));
  const full = [...context, ...cont].slice(-(config.contextLength + 1)); // keep the end: the continuation matters
  const scored = Math.min(cont.length, full.length - 1);
  return { item, input: full.slice(0, -1), scored, target: full.slice(full.length - scored) };
}

/** Summed log-probability of each row's continuation, in row order; rows batched by length. */
function rowLogProbs(b: Backend, config: ModelConfig, params: Params, rows: readonly Row[], maxLogits: number): number[] {
  const out = new Array<number>(rows.length).fill(0);
  const order = rows.map((_, i) => i).sort((x, y) => rows[x]!.input.length - rows[y]!.input.length);
  let start = 0;
  while (start < order.length) {
    const T = rows[order[start]!]!.input.length;
    let end = start + 1;
    // grow the batch while the longest row (sorted: the last one) keeps rows·T·V under the budget
    while (end < order.length && (end - start + 1) * rows[order[end]!]!.input.length * config.vocabSize <= maxLogits) end++;
    const batch = order.slice(start, end);
    const sums = batchLogProbs(
      b,
      config,
      params,
      batch.map((i) => rows[i]!),
      Math.max(T, rows[order[end - 1]!]!.input.length),
    );
    batch.forEach((rowIndex, j) => (out[rowIndex] = sums[j]!));
    start = end;
  }
  return out;
}

function batchLogProbs(b: Backend, config: ModelConfig, params: Params, rows: readonly Row[], T: number): number[] {
  const B = rows.length;
  const inputs = new Int32Array(B * T); // right-padded with token 0: causal attention never sees it
  const targets = new Int32Array(B * T).fill(-1);
  rows.forEach((row, r) => {
    inputs.set(row.input, r * T);
    const first = row.input.length - row.scored;
    row.target.forEach((t, k) => (targets[r * T + first + k] = t));
  });
  const picked = b.tidy(() => {
    const x = b.fromHost(hostTensor([B, T], inputs)); // (B, T)
    const { logits } = forward(b, config, params, x); // (B, T, V)
    const logProbs = fusedOps(b).logSoftmax(b.reshape(logits, [B * T, config.vocabSize])); // (B·T, V)
    const y = b.fromHost(hostTensor([B * T], targets)); // (B·T), -1 gives an all-zero one-hot
    return b.sum(b.mul(logProbs, b.oneHot(y, config.vocabSize)), -1); // (B·T)
  });
  const values = b.toHost(picked).data;
  b.dispose(picked);
  return rows.map((_, r) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += values[r * T + t]!;
    return s;
  });
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}
