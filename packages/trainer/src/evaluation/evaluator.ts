// The evaluator as a Stateful part: validation windows, downstream tasks and (for clones) symmetry of the
// model now, and the record of what it found (the last evaluation, the best validation loss). In a group
// each rank scores its share of the windows and the counts are summed; rank 0 scores the tasks and
// symmetry and every rank takes its row, so every rank decides the same about targets and stops.
// Not the scoring itself (evaluate.ts, tasks.ts) and not the target (accounting/run-accounting.ts).

import type { Backend, Stateful } from '@hyperclone/core';
import type { EvalEvent, ValMetrics } from '../metrics/events.js';
import type { ModelPart } from '../model/model-part.js';
import type { Ranks } from '../distributed/ranks.js';
import { evaluateWindows, type EvalWindow } from './evaluate.js';
import { scoreTask, type Task, type TaskScore, type TaskTokenizer } from './tasks.js';

export interface EvaluatorState {
  bestValLoss: number | null;
  lastEval: EvalEvent | null;
}

export interface EvaluatorOptions {
  windows: readonly EvalWindow[];
  batchSize: number;
  tasks: readonly Task[];
  /** The data's tokenizer, when there are tasks. */
  tokenizer: TaskTokenizer | null;
  taskLimit: number | null;
}

export class Evaluator implements Stateful<EvaluatorState> {
  bestValLoss: number | null = null;
  lastEval: EvalEvent | null = null;

  constructor(
    private readonly b: Backend,
    private readonly ranks: Ranks,
    private readonly o: EvaluatorOptions,
  ) {}

  /** The model's scores now, as an eval.jsonl row starting from `mark` (the run's cost so far). */
  evaluate(model: ModelPart, mark: Pick<EvalEvent, 'step' | 'tokens' | 'flops' | 'deviceHours'>): EvalEvent {
    const val = this.validate(model);
    const { tasks, symmetry } = this.ranks.decide(() => ({ tasks: this.scoreTasks(model), symmetry: model.symmetry() }));
    const row: EvalEvent = { ...mark, val, tasks, symmetry, reachedTarget: false };
    this.lastEval = row;
    return row;
  }

  /** True when the last evaluation set a new best validation loss (and records it). */
  takeBest(): boolean {
    const loss = this.lastEval?.val.loss;
    if (loss === undefined || (this.bestValLoss !== null && loss >= this.bestValLoss)) return false;
    this.bestValLoss = loss;
    return true;
  }

  private validate(model: ModelPart): ValMetrics {
    const { b, o } = this;
    if (this.ranks.worldSize === 1) return evaluateWindows(b, model.model, model.live, o.windows, o.batchSize);
    const mine = this.ranks.share(o.windows);
    const part = mine.length > 0 ? evaluateWindows(b, model.model, model.live, mine, o.batchSize) : { loss: 0, acc: 0, tokens: 0 };
    const [lossSum, correct, tokens] = this.ranks.sum([part.loss * part.tokens, Math.round(part.acc * part.tokens), part.tokens]);
    const loss = lossSum! / tokens!;
    return { loss, ppl: Math.exp(loss), acc: correct! / tokens!, tokens: tokens! };
  }

  private scoreTasks(model: ModelPart): Record<string, TaskScore> {
    const tasks: Record<string, TaskScore> = {};
    for (const task of this.o.tasks) {
      const limit = this.o.taskLimit ? { limit: this.o.taskLimit } : {};
      tasks[task.name] = scoreTask(this.b, model.model, model.live, this.o.tokenizer!, task.items, limit);
    }
    return tasks;
  }

  stateDict(): EvaluatorState {
    return { bestValLoss: this.bestValLoss, lastEval: this.lastEval };
  }

  loadStateDict(state: EvaluatorState): void {
    this.bestValLoss = state.bestValLoss;
    this.lastEval = state.lastEval;
  }
}
