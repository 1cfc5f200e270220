// Step 3 of the benchmark: the runs. The small model (trained here, or a given checkpoint) when a clone arm
// grows it, then every arm for every seed on identical data, hyperparameters and evaluation windows, each in
// runs/<arm>-seed<k>/: a finished run is reused, one stopped midway resumes. Its output (the small model's cost and every run's
// summary and evaluations) is what the analysis reads. In a group, rank 0 decides what to reuse or resume and
// alone reads the runs' files (the others never read what rank 0 is writing). Not the arms (bench-arms.ts) or the
// analysis (analyze.ts).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, type Initializer, type Logger } from '@hyperclone/core';
import { isModelDir, randomInit } from '@hyperclone/init';
import type { Ranks, RunConfig, Summary, TrainOptions } from '@hyperclone/trainer';
import { recordPath, trainFrom } from '@hyperclone/trainer';
import type { ArmRun } from './analyze.js';
import type { Arm } from './bench-arms.js';
import { smallModelSpec, type BenchInputs } from './bench-inputs.js';
import type { CompareOptions } from './bench-options.js';
import { readEvals } from './time-to-target.js';

export interface BenchRuns {
  /** The small model the clone arms grow (none is trained when no clone arm runs). */
  small: { checkpoint: string; summary: Summary | null } | null;
  runs: ArmRun[];
  /** Every run finished (none was interrupted). */
  complete: boolean;
}

export async function trainBenchRuns(
  o: CompareOptions,
  inputs: BenchInputs,
  arms: readonly Arm[],
  log: Logger,
  ranks: Ranks,
): Promise<BenchRuns> {
  const cloned = inputs.variants.length > 0; // the staged arms start from random init at the small size
  const total = (cloned ? 1 : 0) + inputs.seeds.length * arms.length;
  let index = 0;
  let small: BenchRuns['small'] = null;
  if (cloned) {
    o.onRun?.('small', index++, total);
    small = await smallModel(o, inputs, log, ranks);
    log.info({ event: 'bench-small', checkpoint: small.checkpoint }, 'small model ready');
  }
  const runs: ArmRun[] = [];
  let complete = !interrupted(o);
  for (const seed of inputs.seeds) {
    for (const arm of arms) {
      // interrupted: report what finished (a group learns it from the run's agreed stop instead)
      if (!o.distributed && interrupted(o)) break;
      const runDir = join(o.out, 'runs', `${arm.label.replace(':', '-')}-seed${seed}`);
      o.onRun?.(`${arm.label} seed ${seed}`, index++, total);
      const train = {
        ...inputs.common,
        ...arm.extra,
        out: runDir,
        steps: arm.steps,
        seed,
        evalAtStart: true,
        ...(arm.warmup !== undefined ? { warmup: arm.warmup } : {}),
      };
      const summary = await runOrReuse(runDir, arm.init(seed, small?.checkpoint ?? ''), train, log, ranks);
      if (summary.stopReason === 'interrupted') {
        complete = false;
        break; // a partial arm is not a result
      }
      const evals = ranks.main ? readEvals(runDir) : []; // rank 0 analyzes
      runs.push({ arm: arm.label, seed, runDir: recordPath(o.out, runDir), summary, evals });
      log.info({ event: 'bench-arm', arm: arm.label, seed, finalValAcc: summary.finalValAcc }, `${arm.label} seed ${seed} done`);
    }
  }
  return { small, runs, complete: complete && !interrupted(o) };
}

function interrupted(o: CompareOptions): boolean {
  return o.trainHooks?.signal?.aborted === true;
}

/** Trains a run, or reuses it when its folder already holds it finished, or resumes it when it stopped midway. */
async function runOrReuse(runDir: string, init: Initializer, train: TrainOptions, log: Logger, ranks: Ranks): Promise<Summary> {
  const found = ranks.decide(() => existingRun(runDir, train));
  if (found.finished) {
    log.info({ event: 'bench-reuse', runDir }, `reusing the finished run in ${runDir}`);
    return found.finished;
  }
  if (found.resume) log.info({ event: 'bench-resume', runDir }, `resuming the unfinished run in ${runDir}`);
  return (await trainFrom(init, { ...train, resume: found.resume })).summary;
}

/** What a run's folder holds: a finished run of these settings, or one to resume (refused when its settings differ). */
function existingRun(runDir: string, train: TrainOptions): { finished: Summary | null; resume: boolean } {
  const summaryFile = join(runDir, 'summary.json');
  if (existsSync(summaryFile)) {
    const summary = readJsonFile<Summary>(summaryFile);
    const saved = readJsonFile<Pick<RunConfig, 'steps' | 'seed' | 'growAt'>>(join(runDir, 'config.json'));
    const same =
      saved.steps === train.steps && saved.seed === train.seed && JSON.stringify(saved.growAt) === JSON.stringify(train.growAt ?? []);
    if (!same)
      throw new Error(`${runDir} holds a finished run with other settings (steps, seed or growAt); use another --out or remove it`);
    if (summary.stopReason === 'completed') return { finished: summary, resume: false };
  }
  return { finished: null, resume: existsSync(join(runDir, 'config.json')) }; // one that died before its first checkpoint starts over
}

/** The small model: a given checkpoint (ours or a Hugging Face directory), else a preset trained here. */
async function smallModel(o: CompareOptions, inputs: BenchInputs, log: Logger, ranks: Ranks): Promise<NonNullable<BenchRuns['small']>> {
  if (isModelDir(o.small)) return { checkpoint: o.small, summary: ranks.main ? await readSmallSummary(o.small) : null };
  const dir = join(o.out, 'small');
  const summary = await runOrReuse(
    dir,
    randomInit(smallModelSpec(o.small), { seed: 0, vocabSize: inputs.vocabSize }),
    {
      ...inputs.common,
      ...(o.smallLr !== undefined ? { lr: o.smallLr } : {}),
      ...(o.smallSchedule !== undefined ? { schedule: o.smallSchedule } : {}),
      ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
      out: dir,
      steps: o.smallSteps ?? o.steps,
      seed: 0,
    },
    log,
    ranks,
  );
  return { checkpoint: join(dir, summary.checkpoint!), summary };
}

/** A given small checkpoint's training cost, when it sits in a run directory with a summary.json. */
async function readSmallSummary(dir: string): Promise<Summary | null> {
  for (const candidate of [join(dir, '..', 'summary.json'), join(dir, '..', '..', 'summary.json')]) {
    if (existsSync(candidate)) return JSON.parse(await readFile(candidate, 'utf8')) as Summary;
  }
  return null;
}
