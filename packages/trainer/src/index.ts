// Public surface of @hyperclone/trainer: trainFrom and its options, the parts a run is made of (each a
// core Stateful), the events its metrics sinks receive, and what the CLI and the benchmark read back.
// Not an implementation: the code lives in the concept folders named below.

export * from './train-from.js';

// options/: the option table, the schema read off it, and what a resume does with each option
export * from './options/options.js';
export * from './options/option-table.js';
export type { Flag, OptionRow, Recorded, ResumeRule, ValueKind } from './options/option-kinds.js';
export * from './options/resume-rules.js';

// run/: opening a run, its loop, its config and directory, restarting it
export * from './run/training-run.js';
export * from './run/run-parts.js';
export * from './run/run-config.js';
export * from './run/resume-init.js';
export * from './run/recorded-path.js';
export * from './run/memory-check.js';
export * from './run/train-plan.js';

// model/: the model and optimizer part, the step, growth stages
export * from './model/model-part.js';
export * from './model/adamw.js';
export * from './model/sharded-adamw.js';
export * from './model/train-step.js';
export * from './model/step-readback.js';
export * from './model/grow-stages.js';

// data/: where tokens come from (replaceable: trainFrom's dataSource)
export * from './data/data-source.js';
export * from './data/train-data.js';

// schedule/: the learning rate
export * from './schedule/schedule.js';

// accounting/: cost, MFU peaks, targets
export * from './accounting/accounting.js';
export * from './accounting/run-accounting.js';
export * from './accounting/peaks.js';
export * from './accounting/targets.js';

// evaluation/: validation windows, multiple-choice tasks, a checkpoint's scores
export * from './evaluation/evaluator.js';
export * from './evaluation/evaluate.js';
export * from './evaluation/tasks.js';
export { BUILTIN_TASKS, builtinTaskFile, isBuiltinTask, type BuiltinTask } from './evaluation/builtin-tasks.js';
export * from './evaluation/evaluate-checkpoint.js';

// checkpoints/: the checkpointer part, the folder, trainer-state.json
export * from './checkpoints/checkpointer.js';
export * from './checkpoints/checkpoint-store.js';
export * from './checkpoints/trainer-state.js';

// metrics/: the run's events and the sinks that receive them (JSONL the record of truth)
export * from './metrics/events.js';
export * from './metrics/metrics-sink.js';
export * from './metrics/jsonl-sink.js';
export * from './metrics/summary.js';

// distributed/: who decides and who follows across ranks
export * from './distributed/ranks.js';
