// compareCloneVsRandom: the benchmark the project exists for, as a pipeline where each step reads the one
// before: inputs (every option checked) -> arms (random, each clone, the staged one) -> runs (the small model,
// then every arm for every seed, with identical data, hyperparameters and windows) -> analysis (the cost of
// reaching the random arm's final accuracy) -> report. Not any step itself (bench-*.ts, analyze.ts, report.ts).

import { join } from 'node:path';
import { lockDir, silentLogger, writeFileAtomic, type Logger } from '@hyperclone/core';
import { ranksOf, type Ranks } from '@hyperclone/trainer';
import { analyze, type BenchResult } from './analyze.js';
import { benchArms } from './bench-arms.js';
import { openBenchFolder, writeBenchRecord } from './bench-folder.js';
import { readBenchInputs } from './bench-inputs.js';
import type { CompareOptions } from './bench-options.js';
import { trainBenchRuns } from './bench-runs.js';
import { writeReport } from './report.js';

/**
 * Runs the benchmark into `o.out`, holding its lock (rank 0 of a group) for the whole call. Every input
 * is checked before the first step. `out` must be new, empty, or a benchmark of the same run-shaping
 * options (bench.json): its finished runs are reused (an interrupted benchmark continues where it
 * stopped, and arms or seeds can be added later against the same random arms) and a run interrupted
 * midway resumes from its last checkpoint; anything else is refused untouched.
 */
export async function compareCloneVsRandom(o: CompareOptions): Promise<BenchResult> {
  const log = o.logger ?? silentLogger;
  const ranks = ranksOf(o.distributed, o.backend); // rank 0 alone writes the folder
  const lock = ranks.main ? lockDir(o.out, { command: 'bench', onTakeover: (message) => log.warn({ event: 'lock' }, message) }) : null;
  try {
    return await pipeline(o, log, ranks);
  } finally {
    lock?.release();
  }
}

async function pipeline(o: CompareOptions, log: Logger, ranks: Ranks): Promise<BenchResult> {
  const inputs = await readBenchInputs(o);
  const arms = benchArms(o, inputs, log);
  // rank 0 looks at the folder and the others take its word: a rank that looked after rank 0 began writing
  // would see a folder that is neither empty nor a benchmark yet
  const mode = ranks.decide(() => openBenchFolder(o.out, inputs.record));
  await ranks.onMain(() => writeBenchRecord(o.out, inputs.record, false));
  if (mode === 'resume') log.info({ event: 'bench-resume', out: o.out }, `continuing the benchmark in ${o.out}`);
  o.onStart?.();
  const done = await trainBenchRuns(o, inputs, arms, log, ranks);
  // rank 0 read the evaluations; every rank returns its analysis
  const result = ranks.decide(() =>
    analyze({ runs: done.runs, small: done.small?.summary ?? null, target: o.target ?? null, options: inputs.described }),
  );
  await ranks.onMain(async () => {
    await writeFileAtomic(join(o.out, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
    o.onReport?.();
    await writeReport(o.out, result);
    if (done.complete) await writeBenchRecord(o.out, inputs.record, true);
  });
  return result;
}
