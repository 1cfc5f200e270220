// Multiple-choice tasks: scoring by summed and per-character log-probabilities, batching, reading task files and the built-in tasks.
// Not validation loss (evaluate) nor the CLI eval command.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, ModelConfig, Tensor } from '@hyperclone/core';
import { disposeParams, forward, getPreset, hostTensor, uploadParams } from '@hyperclone/core';
import { createTfjsBackend } from '@hyperclone/backend-tfjs';
import { randomWeights } from '@hyperclone/init';
import { BUILTIN_TASKS, builtinTaskFile, choiceLogProbs, loadTask, scoreTask, type TaskItem, type TaskTokenizer } from '../src/index.js';

const bytes: TaskTokenizer = { encode: (s) => Array.from(new TextEncoder().encode(s)), eotId: 256 };
const config: ModelConfig = { ...getPreset('tiny'), contextLength: 32 };
let b: Backend;
let params: Record<string, Tensor>;

beforeAll(async () => {
  b = await createTfjsBackend();
  params = uploadParams(b, config, randomWeights(config, 11));
});
afterAll(() => {
  disposeParams(b, params);
  b.close();
});

/** log p(continuation | query), one sequence at a time in float64 on the host. */
function directLogProb(query: string, choice: string): number {
  const ctx = bytes.encode(query) as number[];
  const cont = bytes.encode(' ' + choice) as number[];
  const full = [...ctx, ...cont].slice(-(config.contextLength + 1));
  const input = full.slice(0, -1);
  const logits = b.tidy(() => forward(b, config, params, b.fromHost(hostTensor([1, input.length], Int32Array.from(input)))).logits);
  const data = b.toHost(logits).data;
  b.dispose(logits);
  const V = config.vocabSize;
  let sum = 0;
  for (let k = 0; k < cont.length; k++) {
    const t = input.length - cont.length + k;
    const row = Array.from(data.subarray(t * V, (t + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    sum += row[full[t + 1]!]! - lse;
  }
  return sum;
}

describe('scoreTask', () => {
  const items: TaskItem[] = [
    { query: 'Question: what is red?\nAnswer:', choices: ['a rose', 'the sky at noon', 'grass'], gold: 0 },
    { query: 'The cat sat on the', choices: ['mat', 'moon'], gold: 1 },
    { query: 'A long query that will not fit the thirty-two token context of this test model at all', choices: ['yes', 'no'], gold: 0 },
  ];

  it('predicts the arg-max of summed and per-character log-probabilities, as computed one sequence at a time', () => {
    let hits = 0;
    let hitsNorm = 0;
    for (const item of items) {
      const sums = item.choices.map((c) => directLogProb(item.query, c));
      const norm = sums.map((s, j) => s / item.choices[j]!.length);
      if (sums.indexOf(Math.max(...sums)) === item.gold) hits++;
      if (norm.indexOf(Math.max(...norm)) === item.gold) hitsNorm++;
    }
    const score = scoreTask(b, config, params, bytes, items, { maxLogitsPerBatch: 3 * 32 * 257 });
    expect(score.count).toBe(3);
    expect(score.acc).toBeCloseTo(hits / 3, 10);
    expect(score.accNorm).toBeCloseTo(hitsNorm / 3, 10);
  });

  it('batched, padded log-probabilities equal one-sequence-at-a-time ones', () => {
    const batched = choiceLogProbs(b, config, params, bytes, items, { maxLogitsPerBatch: 3 * 32 * 257 });
    items.forEach((item, i) => item.choices.forEach((c, j) => expect(batched[i]![j]).toBeCloseTo(directLogProb(item.query, c), 3)));
  });

  it('scores only the first `limit` items', () => {
    expect(scoreTask(b, config, params, bytes, items, { limit: 2 }).count).toBe(2);
  });
});

describe('loadTask', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hc-task-'));

  it('loads the built-in tasks by name from the files the package ships, with their notices', async () => {
    const arc = await loadTask('arc-easy');
    expect(arc.name).toBe('arc-easy');
    expect(arc.file).toBe(builtinTaskFile('arc-easy'));
    expect(arc.items).toHaveLength(570);
    expect(arc.items[0]!.choices[arc.items[0]!.gold]).toBe('cellular telephone');
    const hellaswag = await loadTask('hellaswag');
    expect(hellaswag.items).toHaveLength(1000);
    expect(hellaswag.items.every((item) => item.choices.length === 4)).toBe(true);
    expect(BUILTIN_TASKS).toEqual(['arc-easy', 'hellaswag']);
    for (const name of BUILTIN_TASKS) {
      expect(builtinTaskFile(name).startsWith(join(import.meta.dirname, '../tasks'))).toBe(true);
      expect(readFileSync(join(dirname(builtinTaskFile(name)), 'NOTICE.md'), 'utf8')).toMatch(/allenai\/OLMo.*59a53e3/s);
    }
  });

  it('names a docs.jsonl task after its folder, another file after itself', async () => {
    const row = '{"query": "q", "choices": ["a", "b"], "gold": 1}\n';
    mkdirSync(join(dir, 'my_task'));
    writeFileSync(join(dir, 'my_task/docs.jsonl'), row);
    writeFileSync(join(dir, 'other.jsonl'), row);
    expect((await loadTask(join(dir, 'my_task/docs.jsonl'))).name).toBe('my_task');
    expect((await loadTask(join(dir, 'other.jsonl'))).items).toEqual([{ query: 'q', choices: ['a', 'b'], gold: 1 }]);
    expect((await loadTask(join(dir, 'other.jsonl'))).name).toBe('other');
  });

  it('lists the built-in tasks when a name is unknown', async () => {
    await expect(loadTask('hellaswg')).rejects.toThrowError(
      'unknown task "hellaswg": the built-in tasks are arc-easy, hellaswag; or give a JSONL file ({query, choices, gold} per line)',
    );
  });

  it('says which line is wrong and why', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"query": "q", "choices": ["a", "b"], "gold": 0}\n{"query": "q", "choices": ["a", "b"], "gold": 2}\n');
    await expect(loadTask(file)).rejects.toThrowError(/bad\.jsonl:2: "gold" must be an index into choices \(0\.\.1\), got 2/);
    writeFileSync(file, 'not json\n');
    await expect(loadTask(file)).rejects.toThrowError(/bad\.jsonl:1 is not valid JSON/);
    await expect(loadTask(join(dir, 'missing.jsonl'))).rejects.toThrowError(
      /cannot read task file .*missing\.jsonl: no such file \(built-in tasks: arc-easy, hellaswag\)/,
    );
  });
});
