// Every option of trainFrom, one row each: its value, CLI flag, default, what --resume does with it and
// its help line. The zod schema, the CLI's flags, usage and --help, the resume rules, config.json and the
// option list in docs/training.md are all derived from this table. Not validation across options
// (options.ts) and not the defaults that depend on the model or the data (run-config.ts).

import type { ActivationCheckpointing, Backend, Logger, ProcessGroup } from '@hyperclone/core';
import { ACTIVATION_CHECKPOINTING_FORMS, checkpointEvery, GIB } from '@hyperclone/core';
import { z } from 'zod';
import { BUILTIN_TASKS } from '../evaluation/builtin-tasks.js';
import type { DataSource } from '../data/data-source.js';
import type { CheckpointEvent, EvalEvent, StartEvent, StepEvent } from '../metrics/events.js';
import type { MetricsSink } from '../metrics/metrics-sink.js';
import { GROW_STAGE_HINT, growStageSchema, parseGrowStage, type GrowStage } from '../model/grow-stages.js';
import { choice, custom, int, num, option, parsed, path, paths, switchValue } from './option-kinds.js';
import { SCHEDULE_KINDS } from '../schedule/schedule.js';

const isBackend = (v: unknown): v is Backend =>
  typeof v === 'object' && v !== null && typeof (v as Backend).valueAndGrad === 'function' && typeof (v as Backend).matmul === 'function';
const callback = <T>() => custom(z.custom<(event: T) => void>((v) => typeof v === 'function', { message: 'must be a function' }));

/** 'valLoss' (lower is better), 'valAcc', or '<task>.acc' / '<task>.accNorm' of a downstream task. */
const targetSchema = z.object({
  metric: z.string().regex(/^(valLoss|valAcc|[\w-]+\.(acc|accNorm))$/, {
    message: 'must be "valLoss", "valAcc", "<task>.acc" or "<task>.accNorm"',
  }),
  value: z.number(),
});
export type Target = z.infer<typeof targetSchema>;

const activationCheckpointingSchema = z.custom<ActivationCheckpointing>(
  (v) => {
    try {
      checkpointEvery(v as string);
      return true;
    } catch {
      return false;
    }
  },
  { message: `must be ${ACTIVATION_CHECKPOINTING_FORMS}` },
);
const parseActivationCheckpointing = (text: string): ActivationCheckpointing => {
  try {
    checkpointEvery(text);
  } catch {
    throw new Error(`--activation-checkpointing must be ${ACTIVATION_CHECKPOINTING_FORMS} (got "${text}")`);
  }
  return text as ActivationCheckpointing;
};

const parseZeroStage = (text: string): 0 | 1 | 2 => {
  if (text !== '0' && text !== '1' && text !== '2') throw new Error(`--zero-stage must be 0, 1 or 2 (got "${text}")`);
  return Number(text) as 0 | 1 | 2;
};

export const TRAIN_OPTIONS = {
  data: option(path(), {
    flag: 'data DIR',
    required: true,
    resume: 'fixed',
    recorded: 'derived',
    help: 'token dataset directory (`hyperclone prepare`)',
  }),
  dataSource: option(
    custom(
      z.custom<DataSource>(
        (v) =>
          typeof v === 'object' && v !== null && typeof (v as DataSource).open === 'function' && typeof (v as DataSource).info === 'object',
        { message: 'must be a DataSource ({info, dir, open(sampling), close()})' },
      ),
    ),
    {
      defaultText: 'the dataset at `data`',
      resume: 'fresh',
      recorded: 'none',
      help: 'your own data instead of opening `data` (a `DataSource`: `info`, `dir`, `open({batchSize, seqLen, seed, ...})` giving batches, validation windows and a Stateful sampler; the caller closes it); `data` still names it in config.json',
    },
  ),
  out: option(path(), {
    flag: 'out RUN',
    required: true,
    resume: 'fresh',
    recorded: 'derived',
    help: 'run directory; new or empty (or a run that died before its first checkpoint: started over) unless resuming; locked while in use',
  }),
  backend: option(custom(z.custom<Backend>(isBackend, { message: 'must be a Backend instance (e.g. await createTfjsBackend())' })), {
    required: true,
    resume: 'fresh',
    recorded: 'derived',
    help: 'a `Backend` instance (the CLI resolves `--backend`; a resumed run stays on its saved backend)',
  }),
  steps: option(int(1), { flag: 'steps N', default: 1000, resume: 'fixed', help: 'optimizer steps' }),
  batchSize: option(int(1), {
    flag: 'batch-size B',
    default: 16,
    resume: 'fixed',
    help: 'sequences per micro-batch, over all processes (each of N ranks trains batchSize / N)',
  }),
  seqLen: option(int(1), {
    flag: 'seq-len T',
    defaultText: "the model's context length",
    resume: 'fixed',
    recorded: 'derived',
    help: 'tokens per sequence',
  }),
  gradAccum: option(int(1), {
    flag: 'grad-accum N',
    defaultText: '1',
    resume: 'fixed',
    recorded: 'derived',
    help: 'micro-batches per optimizer step',
  }),
  batchTokens: option(int(1), {
    flag: 'batch-tokens N',
    resume: 'fresh',
    recorded: 'none',
    help: 'global batch in tokens instead of gradAccum: `gradAccum = batchTokens / (batchSize·seqLen)`, a whole number',
  }),
  lr: option(num({ above: 0 }), { flag: 'lr L', default: 1e-3, resume: 'fixed', help: 'peak learning rate' }),
  minLr: option(num({ min: 0 }), {
    flag: 'min-lr L',
    defaultText: 'lr/10',
    resume: 'fixed',
    recorded: 'derived',
    help: 'floor at the last step (cosine, wsd)',
  }),
  warmup: option(int(0), {
    flag: 'warmup N',
    defaultText: 'min(1000, steps/20)',
    resume: 'fixed',
    recorded: 'derived',
    help: 'linear warmup steps',
  }),
  rewarmup: option(int(0), {
    flag: 'rewarmup N',
    defaultText: '= warmup',
    resume: 'fresh',
    recorded: 'none',
    help: 'warmup used instead when the model is a clone (the paper restarts AdamW from zero moments; re-warming the rate limits the early forgetting after the clone); recorded as warmup',
  }),
  growAt: option(parsed(z.array(growStageSchema), parseGrowStage, { multiple: true }), {
    flag: 'grow-at STEP:SPEC',
    default: [] as GrowStage[],
    defaultText: 'none',
    resume: 'fixed',
    help: `grow the model after optimizer step STEP (or after N% of the run) as \`hyperclone grow\` would; SPEC: init's growth text plus the trainer's keys after a growth (${GROW_STAGE_HINT}); repeat for more stages. By default each growth starts fresh AdamW moments and re-warms the rate linearly over the run's warmup; FLOPs count each stage at its own size`,
  }),
  schedule: option(choice(SCHEDULE_KINDS), {
    flag: 'schedule',
    default: 'cosine',
    resume: 'fixed',
    help: 'after warmup: cosine to `minLr`; warmup-stable-decay (constant, then linear to `minLr` over the last `decayFraction`); or constant',
  }),
  decayFraction: option(num({ above: 0, max: 1 }), {
    flag: 'decay-fraction F',
    default: 0.2,
    resume: 'fixed',
    help: "wsd's decay share of the run",
  }),
  weightDecay: option(num({ min: 0 }), {
    flag: 'weight-decay W',
    default: 0.1,
    resume: 'fixed',
    help: "decoupled (AdamW) decay, on parameters with 2+ dimensions only (the parameter spec's `decay` flag): never on biases, norms",
  }),
  beta1: option(num({ min: 0, below: 1 }), { flag: 'beta1 B', default: 0.9, resume: 'fixed', help: "AdamW's first-moment decay" }),
  beta2: option(num({ min: 0, below: 1 }), { flag: 'beta2 B', default: 0.95, resume: 'fixed', help: "AdamW's second-moment decay" }),
  eps: option(num({ above: 0 }), { flag: 'eps E', default: 1e-8, resume: 'fixed', help: "AdamW's epsilon" }),
  gradClip: option(num({ min: 0 }), {
    flag: 'grad-clip C',
    default: 1,
    resume: 'fixed',
    help: 'global L2 norm clip (0: off); the norm before clipping is logged as `gradNorm`',
  }),
  dropout: option(num({ min: 0, below: 1 }), {
    flag: 'dropout P',
    defaultText: "the model config's",
    resume: 'fixed',
    recorded: 'none',
    saved: (c) => c.model.dropout,
    help: "overrides the model's dropout for this run (recorded in config.json's model)",
  }),
  zeroStage: option(parsed(z.union([z.literal(0), z.literal(1), z.literal(2)]), parseZeroStage), {
    flag: 'zero-stage 0|1|2',
    default: 0 as 0 | 1 | 2,
    resume: 'kept',
    help: "ZeRO over the data-parallel ranks (torch): 0 every rank holds AdamW's moments; 1 each rank keeps and updates only its shard of them, then the ranks all-gather the parameters; 2 also reduce-scatters the gradients, keeping only its shard of their sums. A checkpoint stays one logical checkpoint, loadable by any number of ranks (docs/distributed.md)",
  }),
  activationCheckpointing: option(parsed(activationCheckpointingSchema, parseActivationCheckpointing), {
    flag: 'activation-checkpointing MODE',
    default: 'none' as ActivationCheckpointing,
    resume: 'kept',
    help: "recompute the blocks' forward during backward instead of keeping their activations: `none`, `blocks` (keep each block's input, recompute one block at a time) or `every-N` (N blocks at a time); the same losses and gradients bit for bit, for about one more forward pass of compute (docs/distributed.md)",
  }),
  seed: option(int(0), {
    flag: 'seed S',
    default: 0,
    resume: 'fixed',
    help: "data order and dropout masks (CLI: also `randomInit`'s seed)",
  }),
  sampler: option(choice(['random', 'epoch'] as const), {
    flag: 'sampler',
    default: 'random',
    resume: 'fixed',
    help: 'how training windows are drawn: `random` with replacement (nanoGPT), or `epoch`: shuffled passes over non-overlapping windows without replacement; both resume exactly',
  }),
  evalEvery: option(int(0), {
    flag: 'eval-every N',
    defaultText: 'steps/10',
    resume: 'kept',
    recorded: 'derived',
    help: 'evaluation period (0: only the last step); the last step is always evaluated',
  }),
  evalWindows: option(int(1), { flag: 'eval-windows N', default: 64, resume: 'kept', help: 'validation windows of `seqLen` tokens' }),
  evalBatchSize: option(int(1), {
    flag: 'eval-batch-size N',
    defaultText: 'batchSize',
    resume: 'kept',
    recorded: 'derived',
    help: 'windows per evaluation forward pass',
  }),
  evalSeed: option(int(0), {
    flag: 'eval-seed S',
    default: 1234,
    resume: 'kept',
    help: 'picks the windows; independent of `seed`, so every run with the same `evalSeed` and `seqLen` (random or cloned, any training seed) is scored on identical data',
  }),
  evalAtStart: option(switchValue(), {
    flag: 'eval-at-start',
    default: false,
    resume: 'kept',
    help: 'also evaluate the initial weights (step 0 in eval.jsonl); a target met at step 0 counts',
  }),
  tasks: option(paths(), {
    flag: 'task NAME|FILE.jsonl',
    default: [] as string[],
    defaultText: 'none',
    resume: 'kept',
    recorded: 'derived',
    help: `multiple-choice tasks scored at every evaluation: a built-in one by name (${BUILTIN_TASKS.map((n) => `\`${n}\``).join(', ')}) or a JSONL file of \`{query, choices, gold}\` rows`,
  }),
  taskLimit: option(int(1), {
    flag: 'task-limit N',
    defaultText: 'all',
    resume: 'kept',
    help: 'score only the first N items of each task',
  }),
  target: option(custom(targetSchema), {
    defaultText: 'none',
    resume: 'kept',
    help: '`{metric, value}`; metric `valLoss` (reached at or below), `valAcc`, `<task>.acc` or `<task>.accNorm` (at or above)',
  }),
  stopAtTarget: option(switchValue(), {
    flag: 'stop-at-target',
    default: false,
    resume: 'kept',
    help: 'stop at the first evaluation that reaches the target',
  }),
  logEvery: option(int(1), {
    flag: 'log-every N',
    default: 1,
    resume: 'kept',
    help: 'metrics.jsonl period (evaluation steps and the last step are always logged)',
  }),
  checkpointEvery: option(int(0), {
    flag: 'checkpoint-every N',
    default: 0,
    resume: 'kept',
    help: 'periodic checkpoints (0: only at the end, at a stop, and at a new best)',
  }),
  tensorboard: option(path(), {
    flag: 'tensorboard DIR',
    defaultText: 'off',
    resume: 'kept',
    recorded: 'derived',
    help: "also write TensorBoard event files into DIR (`RUN/tensorboard` is the usual place): the metrics.jsonl and eval.jsonl numbers as scalars, the config and summary as text, the HParams record of the options; a folder holding another run's event files is refused",
  }),
  keepLast: option(int(1), { flag: 'keep-last K', default: 2, resume: 'kept', help: 'step checkpoints kept' }),
  keepBest: option(switchValue(), { default: true, resume: 'kept', help: 'keep `checkpoints/best` (lowest validation loss)' }),
  stopAfter: option(int(1), {
    flag: 'stop-after N',
    resume: 'fresh',
    help: 'run N steps in this invocation, save, and return (CLI: exit 0 with a `--resume` hint)',
  }),
  resume: option(switchValue(), {
    flag: 'resume',
    default: false,
    resume: 'fresh',
    recorded: 'none',
    help: 'continue the run in `out` from its newest checkpoint',
  }),
  dryRun: option(switchValue(), {
    flag: 'dry-run',
    default: false,
    resume: 'fresh',
    recorded: 'none',
    help: "print the memory plan (one rank's weights, gradients, AdamW moments and activations; the widest clone of the model that fits with each ZeRO stage, checkpointing and autocast) and exit without training or writing anything; exit 1 when it does not fit (docs/distributed.md)",
  }),
  deviceMemory: option(num({ above: 0 }), {
    flag: 'device-memory GIB',
    scale: GIB,
    defaultText: "CPU: the host's available memory over the local ranks",
    resume: 'fresh',
    recorded: 'none',
    help: "the memory of one rank's device (the flag in GiB) that `--dry-run` holds its plan against",
  }),
  skipMemoryCheck: option(switchValue(), {
    flag: 'skip-memory-check',
    default: false,
    resume: 'fresh',
    recorded: 'none',
    help: "start even when the memory estimate (weights, AdamW, gradients, activations of the batch) exceeds the machine's available memory (docs/training.md); CUDA device memory is not checked",
  }),
  stepReplay: option(choice(['on', 'off', 'graph'] as const), {
    flag: 'step-replay',
    default: 'on',
    resume: 'kept',
    help: 'run the step (forward, loss, backward, clip, AdamW) as one native program recorded at the first step and replayed with one call per step, on engines that record steps (torch; eager where the step cannot be recorded: dropout, data-parallel, a shape change, and again after growth); `graph` also captures it as a CUDA graph on cuda; `off`: every op called from JavaScript',
  }),
  precision: option(choice(['fp32', 'tf32', 'bf16'] as const), {
    flag: 'precision',
    defaultText: 'from the engine',
    resume: 'kept',
    recorded: 'derived',
    help: 'which GPU peak MFU divides by',
  }),
  peakFlopsPerSec: option(num({ above: 0 }), {
    flag: 'peak-tflops X',
    scale: 1e12,
    defaultText: 'table or measured',
    resume: 'fresh',
    recorded: 'none',
    help: 'MFU denominator override (the flag in TFLOP/s)',
  }),
  logger: option(
    custom(
      z.custom<Logger>((v) => typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function', {
        message: 'must have debug/info/warn/error methods (pino works)',
      }),
    ),
    { defaultText: 'silent', resume: 'fresh', recorded: 'none', help: "core's `Logger` (the CLI passes pino)" },
  ),
  distributed: option(
    custom(
      z.custom<ProcessGroup>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          Number.isInteger((v as ProcessGroup).worldSize) &&
          typeof (v as ProcessGroup).allReduce === 'function',
        { message: 'must be a ProcessGroup (createProcessGroup from @hyperclone/backend-torch)' },
      ),
    ),
    {
      defaultText: 'one process',
      resume: 'fresh',
      recorded: 'none',
      help: "one rank of a data-parallel group (backend-torch's `createProcessGroup`; the CLI: `--nproc N` or the torchrun variables, docs/distributed.md): batchSize stays the global batch, rank 0 alone writes",
    },
  ),
  sinks: option(
    custom(
      z.array(
        z.custom<MetricsSink>((v) => typeof v === 'object' && v !== null && typeof (v as MetricsSink).write === 'function', {
          message: 'must be a MetricsSink ({write(event), close?()})',
        }),
      ),
    ),
    {
      default: [] as MetricsSink[],
      defaultText: 'none',
      resume: 'fresh',
      recorded: 'none',
      help: "metrics sinks that receive every event of the run (start with its config, step rows, evaluations, task scores, symmetry, growths, checkpoints, the summary) after the run directory's JSONL files, on rank 0 alone: `{write(event), close?()}`",
    },
  ),
  signal: option(custom(z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'must be an AbortSignal' })), {
    resume: 'fresh',
    recorded: 'none',
    help: 'an `AbortSignal` (the CLI wires SIGINT/SIGTERM): the step in flight finishes, a checkpoint is saved, `summary.stopReason` is `interrupted`',
  }),
  onStart: option(callback<StartEvent>(), {
    resume: 'fresh',
    recorded: 'none',
    help: 'called once the run is open: `{runDir, totalSteps, resumedFromStep, config}`',
  }),
  onStep: option(callback<StepEvent>(), { resume: 'fresh', recorded: 'none', help: 'called with every row of metrics.jsonl' }),
  onEval: option(callback<EvalEvent>(), { resume: 'fresh', recorded: 'none', help: 'called with every row of eval.jsonl' }),
  onCheckpoint: option(callback<CheckpointEvent>(), {
    resume: 'fresh',
    recorded: 'none',
    help: 'called after each checkpoint: `{step, dir, reason}`',
  }),
};

export type TrainOptionKey = keyof typeof TRAIN_OPTIONS;
export const TRAIN_OPTION_KEYS = Object.keys(TRAIN_OPTIONS) as TrainOptionKey[];
