// trainFrom: the library's entry to training. Validates the options, holds the run directory's lock (rank 0),
// opens the run (open-run.ts), runs its loop (training-run.ts), and ends every invocation with a checkpoint
// and a summary. Not the parts of a run nor the loop itself (run/).

import type { DirLock, Initializer, Logger } from '@hyperclone/core';
import { lockDir, silentLogger } from '@hyperclone/core';
import type { Summary } from './metrics/summary.js';
import type { ParsedTrainOptions, TrainOptions } from './options/options.js';
import { parseTrainOptions } from './options/options.js';
import { ranksOf } from './distributed/ranks.js';
import { openRun } from './run/open-run.js';

export interface TrainResult {
  summary: Summary;
  /** The last checkpoint written (the final weights for a completed run). */
  checkpoint: string;
  runDir: string;
}

export async function trainFrom(init: Initializer, options: TrainOptions): Promise<TrainResult> {
  const o = parseTrainOptions(options);
  const ranks = ranksOf(o.distributed, o.backend);
  const log = ranks.main ? (o.logger ?? silentLogger) : silentLogger; // rank 0 alone logs, writes and reports
  const lock = ranks.main ? lockRun(o, log) : null; // the other ranks never write the run directory
  try {
    const { run, resumedFrom } = await openRun(init, o, log, ranks);
    try {
      const stopReason = await run.run(resumedFrom === null, o.signal);
      const { summary, checkpoint } = await run.finish(stopReason);
      return { summary, checkpoint, runDir: run.p.config.out };
    } finally {
      run.dispose();
      await ranks.onMain(() => run.p.sinks.close());
    }
  } finally {
    lock?.release();
  }
}

/**
 * The run directory's lock, held for the whole call: a second writer (another run, a resume of this one)
 * is refused naming this process. In a data-parallel group only rank 0, which writes, takes it.
 */
function lockRun(o: ParsedTrainOptions, log: Logger): DirLock {
  return lockDir(o.out, { command: 'train', onTakeover: (message) => log.warn({ event: 'lock' }, message) });
}
