// evaluateCheckpoint: a saved model's validation loss, perplexity and accuracy on the same seeded
// windows the trainer uses, plus downstream tasks (what `hyperclone eval` prints). Not the in-loop
// evaluation (the evaluator part, evaluator.ts, calls evaluate.ts and tasks.ts).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, Checkpoint, TokenizerIdentity } from '@hyperclone/core';
import { checkSameTokenizer, disposeParams, readJsonFile, uploadParams } from '@hyperclone/core';
import { loadModelDir } from '@hyperclone/init';
import { datasetSource, tokenizerOf } from '../data/data-source.js';
import type { ValMetrics } from '../metrics/events.js';
import { evaluateWindows } from './evaluate.js';
import type { TaskScore } from './tasks.js';
import { loadTask, scoreTask } from './tasks.js';

export interface EvalCheckpointOptions {
  data: string;
  backend: Backend;
  /** Multiple-choice task files ({query, choices, gold} JSONL). */
  tasks?: string[];
  /** Validation windows (default 64) of seqLen tokens (default: the model's context length). */
  evalWindows?: number;
  seqLen?: number;
  batchSize?: number;
  /** The trainer's default, so the numbers match a run's eval.jsonl. */
  evalSeed?: number;
  taskLimit?: number;
}

export interface CheckpointEval {
  val: ValMetrics;
  tasks: Record<string, TaskScore>;
}

/**
 * The tokenizer a checkpoint was trained with: its config.json's record, else (checkpoints written before
 * that record) the name the trainer kept in trainer-state.json; null for an untrained init.
 */
export function checkpointTokenizer(dir: string, ckpt: Checkpoint): TokenizerIdentity | null {
  if (ckpt.tokenizer) return ckpt.tokenizer;
  const statePath = join(dir, 'trainer-state.json');
  if (!existsSync(statePath)) return null;
  const name = readJsonFile<{ data?: { tokenizer?: unknown } }>(statePath).data?.tokenizer;
  return typeof name === 'string' ? { name, sha256: null } : null;
}

export async function evaluateCheckpoint(dir: string, o: EvalCheckpointOptions): Promise<CheckpointEval> {
  const ckpt = await loadModelDir(dir); // ours, or a Hugging Face directory as it is
  const tasks = await Promise.all((o.tasks ?? []).map((f) => loadTask(f)));
  const source = await datasetSource(o.data);
  const seqLen = o.seqLen ?? ckpt.config.contextLength;
  try {
    checkSameTokenizer(checkpointTokenizer(dir, ckpt), tokenizerOf(source.info), dir, o.data);
    if (source.info.vocabSize > ckpt.config.vocabSize)
      throw new Error(
        `the dataset's vocabulary (${source.info.vocabSize}) is larger than the model's (${ckpt.config.vocabSize}): ${o.data} was made with another tokenizer`,
      );
  } catch (e) {
    source.close();
    throw e;
  }
  const data = source.open({ batchSize: 1, seqLen, seed: 0, evalWindows: o.evalWindows ?? 64, evalSeed: o.evalSeed ?? 1234 });
  const b = o.backend;
  const params = uploadParams(b, ckpt.config, ckpt.weights);
  try {
    const val = evaluateWindows(b, ckpt.config, params, data.evalSet, o.batchSize ?? 16);
    const scores: Record<string, TaskScore> = {};
    const tokenizer = tasks.length > 0 ? await data.tokenizer() : null;
    for (const task of tasks) {
      scores[task.name] = scoreTask(b, ckpt.config, params, tokenizer!, task.items, o.taskLimit ? { limit: o.taskLimit } : {});
    }
    return { val, tasks: scores };
  } finally {
    disposeParams(b, params);
    source.close();
  }
}
