// `hyperclone eval`: a checkpoint's validation loss, perplexity and next-token accuracy on the
// trainer's seeded windows, plus multiple-choice tasks (acc, accNorm). Not training-time evaluation.

import { evaluateCheckpoint } from '@hyperclone/trainer';
import type { EvalCheckpointOptions } from '@hyperclone/trainer';
import { backendFromFlags } from '../backends.js';
import { integerFlag, parseFlags, requireFlag, type Command } from '../command.js';

const usage =
  'hyperclone eval --checkpoint CKPT --data DIR [--task NAME|FILE.jsonl]... [--json] [--eval-windows N] [--seq-len T] [--batch-size B] ' +
  '[--eval-seed S] [--task-limit N] [--backend auto|torch|tfjs] [--device cpu|cuda] [--threads N]';

const flags = {
  checkpoint: { type: 'string' },
  data: { type: 'string' },
  task: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'eval-windows': { type: 'string' },
  'seq-len': { type: 'string' },
  'batch-size': { type: 'string' },
  'eval-seed': { type: 'string' },
  'task-limit': { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
} as const;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a checkpoint: validation loss/ppl/accuracy and multiple-choice tasks',
  usage,
  async run(argv) {
    const { values: f } = parseFlags(argv, flags, usage);
    const checkpoint = requireFlag(f.checkpoint, 'checkpoint', usage);
    const data = requireFlag(f.data, 'data', usage);
    const backend = await backendFromFlags(f);
    try {
      const options: EvalCheckpointOptions = { data, backend, tasks: f.task ?? [] };
      const optional = {
        evalWindows: integerFlag(f['eval-windows'], 'eval-windows'),
        seqLen: integerFlag(f['seq-len'], 'seq-len'),
        batchSize: integerFlag(f['batch-size'], 'batch-size'),
        evalSeed: integerFlag(f['eval-seed'], 'eval-seed', 0),
        taskLimit: integerFlag(f['task-limit'], 'task-limit'),
      };
      for (const [k, v] of Object.entries(optional)) if (v !== undefined) (options as unknown as Record<string, number>)[k] = v;
      const { val, tasks } = await evaluateCheckpoint(checkpoint, options);
      const result = { loss: val.loss, ppl: val.ppl, acc: val.acc, tokens: val.tokens, ...tasks };
      if (f.json) process.stdout.write(JSON.stringify(result) + '\n');
      else {
        process.stdout.write(
          `val loss ${val.loss.toFixed(4)} | ppl ${val.ppl.toFixed(2)} | acc ${val.acc.toFixed(4)} | ${val.tokens} tokens\n`,
        );
        for (const [name, s] of Object.entries(tasks))
          process.stdout.write(`${name}: acc ${s.acc.toFixed(4)} | accNorm ${s.accNorm.toFixed(4)} | ${s.count} items\n`);
      }
      return 0;
    } finally {
      backend.close();
    }
  },
};
