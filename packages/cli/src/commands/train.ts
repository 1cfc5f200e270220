// `hyperclone train`: turns flags into trainFrom options, wires pino (RUN/train.log), the progress
// display and Ctrl-C (finish the step, checkpoint, exit 130). Not the training loop (@hyperclone/trainer).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Initializer } from '@hyperclone/core';
import { fromCheckpoint, randomInit } from '@hyperclone/init';
import type { RunConfig, TrainOptionKey, TrainOptions, TrainResult } from '@hyperclone/trainer';
import {
  formatPlan,
  parseTrainOptions,
  planInputs,
  planRefusal,
  readRunConfig,
  resumeInitializer,
  resumeSettings,
  trainFrom,
  trainPlan,
  TRAIN_OPTIONS,
} from '@hyperclone/trainer';
import { GIB } from '@hyperclone/core';
import { BACKEND_FLAGS, backendFlagValues, backendFromFlags, backendRequest } from '../backends.js';
import { CliError, integerFlag, parseFlags, type Command } from '../command.js';
import { LAUNCH_FLAGS, launchRanks, takeLaunchFlags } from '../distributed.js';
import { rankEnv } from '../torchrun-env.js';
import { readModelFlag, datasetVocab } from '../model-flag.js';
import { flagRows, helpOf, parseConfig, rowDoc, rowValues, usageOf, type FlagDoc, type FlagValues } from '../option-flags.js';
import { flagText, targetFlagDocs, targetFromFlags, withHarness, type Harness } from '../run-harness.js';

/** --model and --init: the initializer, which is trainFrom's first argument rather than an option. */
export const INIT_FLAGS: FlagDoc[] = [
  { name: 'model', arg: '<preset|config.json>', help: "a new model: `randomInit(preset, {seed, vocabSize: the dataset's})`" },
  { name: 'init', arg: 'CKPT', help: 'start from a checkpoint (`fromCheckpoint`): a trained model or a clone' },
];

/** Options the CLI sets from flags of its own rather than from one flag of the option's row. */
export const OPTION_FLAGS: Partial<Record<TrainOptionKey, FlagDoc[]>> = {
  backend: BACKEND_FLAGS,
  distributed: LAUNCH_FLAGS,
  target: targetFlagDocs({
    loss: 'target `valLoss` X (reached at or below)',
    acc: 'target accuracy Y (reached at or above): `valAcc`, or the task named by --target-task',
    task: "with --target-acc: the target is that task's accuracy (`NAME.acc`)",
  }),
};

const rows = flagRows(TRAIN_OPTIONS);
/** Every flag of `hyperclone train`, in the option table's order (--model and --init after --out). */
const TRAIN_FLAG_DOCS: FlagDoc[] = (Object.keys(TRAIN_OPTIONS) as TrainOptionKey[]).flatMap((key) => {
  const row = TRAIN_OPTIONS[key];
  return [...(row.flag ? [rowDoc(row)] : []), ...(OPTION_FLAGS[key] ?? []), ...(key === 'out' ? INIT_FLAGS : [])];
});
/** The flags whose saved value a resumed run must keep. */
const fixedFlags = rows.filter(([, row]) => row.resume === 'fixed').map(([, row]) => `--${row.flag!.name}`);
const flags = parseConfig(TRAIN_FLAG_DOCS);
const initFlags = new Set(['model', 'init']);
const usage =
  'hyperclone train --data DIR --out RUN (--model <preset|config.json> | --init CKPT) ' +
  usageOf(TRAIN_FLAG_DOCS.filter((d) => !d.required && !initFlags.has(d.name)));

type Settings = Omit<TrainOptions, 'backend' | 'data' | 'out'> & { data?: string };

export const trainCommand: Command = {
  name: 'train',
  summary: 'pre-train a model on a token dataset (resumable; writes a run directory)',
  usage,
  help:
    `flags:\n${helpOf(TRAIN_FLAG_DOCS)}\n\nWith --resume, flags left out take the run's saved values. These fix the loss ` +
    `trajectory and must match the saved run (so must the model): ${fixedFlags.join(', ')}.`,
  async run(argvWithLaunch) {
    const launch = takeLaunchFlags(argvWithLaunch);
    const env = rankEnv();
    const dryRun = launch.rest.includes('--dry-run'); // plans for the ranks it would start, and starts none
    if (!dryRun && launch.nproc !== null && launch.nproc > 1) return launchRanks('train', launch, env !== null);
    const { values } = parseFlags(launch.rest, flags, usage);
    const f = values as FlagValues;
    const backendFlags = backendFlagValues(f);
    backendRequest(backendFlags); // a bad value is a usage error before anything is read
    const out = flagText(f, 'out');
    if (out === undefined) throw new CliError(`missing required flag --out\nusage: ${usage}`, 2);
    // config.json, read once: the saved settings, the initializer and the comparison trainFrom makes
    const saved = f['resume'] && existsSync(join(out, 'config.json')) ? await readRunConfig(out) : null;
    if (f['resume'] && !saved) throw new CliError(`cannot resume: ${out} holds no run (no config.json); start it without --resume`);
    const settings = { ...(saved ? resumeSettings(saved) : {}), ...flagSettings(f) } as Settings;
    const data = settings.data;
    if (data === undefined) throw new CliError(`missing required flag --data\nusage: ${usage}`, 2);
    const init = await chooseInit(f, data, saved);
    // a resumed run stays on its backend unless told otherwise (another engine changes the loss trace)
    const savedBackend = saved?.backend.name === 'torch' || saved?.backend.name === 'tfjs' ? saved.backend.name : undefined;
    if (dryRun) {
      if (env && env.rank > 0) return 0; // rank 0 alone prints the plan
      const ranks = { world: launch.nproc ?? env?.worldSize ?? 1, local: launch.nproc ?? env?.localWorldSize ?? 1 };
      const backend = await backendFromFlags(backendFlags, savedBackend);
      try {
        return await printPlan(init, { ...settings, data, out, backend }, ranks);
      } finally {
        backend.close();
      }
    }
    return withHarness({ backendFlags, ...(savedBackend ? { savedBackend } : {}) }, (h) =>
      runTraining(init, { ...settings, data, out, backend: h.backend, ...(h.group ? { distributed: h.group } : {}) }, h),
    );
  },
};

/** `--dry-run`: the memory plan on stdout; exit 1 with one line naming what would fit when it does not. */
async function printPlan(init: Initializer, options: TrainOptions, ranks: { world: number; local: number }): Promise<number> {
  let o;
  try {
    o = parseTrainOptions(options);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
  const device = o.deviceMemory !== undefined ? { bytes: o.deviceMemory, text: `--device-memory ${o.deviceMemory / GIB}` } : undefined;
  const inputs = await planInputs(init, o, ranks.world, device, ranks.local);
  if (!inputs) throw new CliError('train --dry-run: this initializer cannot be planned before it loads (it has no config to read)');
  const plan = trainPlan(inputs);
  process.stdout.write(formatPlan(plan));
  const refusal = planRefusal(plan);
  if (refusal) throw new CliError(refusal);
  return 0;
}

async function chooseInit(f: FlagValues, data: string, saved: RunConfig | null): Promise<Initializer> {
  const [model, from] = [flagText(f, 'model'), flagText(f, 'init')];
  if (model !== undefined && from !== undefined) throw new CliError('give either --model or --init, not both', 2);
  if (model !== undefined) {
    const seed = integerFlag(flagText(f, 'seed'), 'seed', 0) ?? 0;
    return randomInit(await readModelFlag(model), { seed, vocabSize: await datasetVocab(data) });
  }
  if (from !== undefined) return fromCheckpoint(from);
  if (saved) return resumeInitializer(saved);
  throw new CliError(`give --model <preset|config.json> for a new model or --init CKPT to start from a checkpoint\nusage: ${usage}`, 2);
}

/** The options the flags give: one per table row with a flag, and the target from its three flags. */
function flagSettings(f: FlagValues): Partial<TrainOptions> {
  const settings = rowValues(rows, f) as Partial<TrainOptions>;
  const target = targetFromFlags(f);
  if (target) settings.target = target;
  return settings;
}

async function runTraining(init: Initializer, options: TrainOptions, h: Harness): Promise<number> {
  const result = await trainFrom(init, {
    ...options,
    logger: h.log.logger,
    signal: h.signal,
    onStart: (e) => {
      h.log.attach(join(e.runDir, 'train.log'));
      h.progress.note(
        e.resumedFromStep === null
          ? `training ${e.totalSteps} steps into ${e.runDir}`
          : `resuming ${e.runDir} at step ${e.resumedFromStep}`,
      );
    },
    onStep: (e) => h.progress.step(e),
    onEval: (e) => h.progress.eval(e),
  });
  h.progress.end();
  if (h.quiet) return result.summary.stopReason === 'interrupted' ? 130 : 0;
  return report(result);
}

function report({ summary: s, checkpoint, runDir }: TrainResult): number {
  const val = s.finalValLoss === null ? 'n/a' : `${s.finalValLoss.toFixed(4)} (acc ${s.finalValAcc!.toFixed(4)})`;
  const cost = `${s.tokens.toLocaleString('en-US')} tokens, ${s.trainSeconds.toFixed(1)} s in steps, ${s.deviceHours.toFixed(5)} device-hours`;
  process.stdout.write(`step ${s.steps}/${s.totalSteps}: val loss ${val}; ${cost}\n`);
  if (s.tokensPerSec !== null) {
    const mfu = s.mfu === null ? '' : `, MFU ${(100 * s.mfu).toFixed(2)}% against the ${s.peakSource}`;
    process.stdout.write(`throughput: ${Math.round(s.tokensPerSec).toLocaleString('en-US')} tokens/s on ${s.engine}${mfu}\n`);
  }
  if (s.target) {
    const reached = s.reachedTarget
      ? `reached at step ${s.stepsToTarget} after ${s.deviceHoursToTarget!.toFixed(5)} device-hours`
      : 'not reached';
    process.stdout.write(`target ${s.target.metric} ${s.target.value}: ${reached}\n`);
  }
  process.stdout.write(`checkpoint: ${checkpoint}\nsummary: ${join(runDir, 'summary.json')}\n`);
  if (s.stopReason === 'interrupted') {
    process.stderr.write(`interrupted after step ${s.steps}; continue with: hyperclone train --out ${runDir} --resume\n`);
    return 130;
  }
  if (s.stopReason === 'stop-after')
    process.stdout.write(`stopped after step ${s.steps} (--stop-after); continue with: hyperclone train --out ${runDir} --resume\n`);
  return 0;
}
