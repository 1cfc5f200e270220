// What `hyperclone train` and `hyperclone bench` share around their runs: a flag's text, the target flags,
// the backend and (for a rank of a launch) the process group, the terminal (the progress line, warnings on
// stderr, the run folder's log file once the folder exists) and Ctrl-C (finish the step, save, exit 130; a
// second one quits at once). Not either command's own flags (commands/train.ts, commands/bench.ts).

import type { Backend, ProcessGroup } from '@hyperclone/core';
import { backendFromFlags, type BackendFlagValues, type BackendName } from './backends.js';
import { CliError, numberFlag } from './command.js';
import { groupTimeoutMs, joinGroup, watchLauncher, workerBackendFlags } from './distributed.js';
import { createRunLogger, type RunLogger } from './logger.js';
import type { FlagDoc, FlagValues } from './option-flags.js';
import { ProgressDisplay } from './progress.js';
import { rankEnv } from './torchrun-env.js';

/** A string flag's value, or undefined (absent, or a switch). */
export function flagText(f: FlagValues, name: string): string | undefined {
  const v = f[name];
  return typeof v === 'string' ? v : undefined;
}

export interface TargetFlagText {
  loss: string;
  acc: string;
  /** Only when the command scores tasks (train). */
  task?: string;
}

/** The target flags; `task`: with --target-task (a task's accuracy). */
export function targetFlagDocs(help: TargetFlagText): FlagDoc[] {
  return [
    { name: 'target-loss', arg: 'X', help: help.loss },
    { name: 'target-acc', arg: 'Y', help: help.acc },
    ...(help.task !== undefined ? [{ name: 'target-task', arg: 'NAME', help: help.task }] : []),
  ];
}

/** `{metric, value}` from --target-loss, --target-acc (and --target-task), or undefined; one of the first two at most. */
export function targetFromFlags(f: FlagValues): { metric: string; value: number } | undefined {
  const loss = numberFlag(flagText(f, 'target-loss'), 'target-loss');
  const acc = numberFlag(flagText(f, 'target-acc'), 'target-acc');
  const task = flagText(f, 'target-task');
  if (loss !== undefined && acc !== undefined) throw new CliError('give --target-loss or --target-acc, not both', 2);
  if (task !== undefined && acc === undefined) throw new CliError('--target-task goes with --target-acc (a task accuracy target)', 2);
  if (loss !== undefined) return { metric: 'valLoss', value: loss };
  if (acc !== undefined) return { metric: task ? `${task}.acc` : 'valAcc', value: acc };
  return undefined;
}

/** What a command's run gets from the harness. */
export interface Harness {
  backend: Backend;
  /** The process group when this process is one rank of a launch. */
  group: ProcessGroup | null;
  /** A rank other than 0: it neither prints nor writes. */
  quiet: boolean;
  progress: ProgressDisplay;
  log: RunLogger;
  /** Aborted by the first Ctrl-C or SIGTERM. */
  signal: AbortSignal;
}

export interface HarnessOptions {
  backendFlags: BackendFlagValues;
  /** The engine a resumed run was saved on, when --backend is left out. */
  savedBackend?: BackendName;
  /** Plain (non-terminal) progress lines at most this often. */
  plainEverySec?: number;
}

/**
 * Runs `work` with the backend, the group, the terminal and the signal handlers, and tears them all down
 * after, whatever happens; an error goes into the run's log file too before it is printed.
 */
export async function withHarness<T>(o: HarnessOptions, work: (h: Harness) => Promise<T>): Promise<T> {
  const env = rankEnv();
  if (env) {
    process.env['GLOG_minloglevel'] ??= '3'; // c10d's own log lines repeat the one-line error we print
    watchLauncher();
  }
  const backend = await backendFromFlags(env ? workerBackendFlags(o.backendFlags, env) : o.backendFlags, o.savedBackend);
  let group: ProcessGroup | null = null;
  try {
    group = env ? await joinGroup(backend, env, groupTimeoutMs()) : null;
    return await withTerminal(backend, group, o, work);
  } finally {
    group?.close();
    backend.close();
  }
}

async function withTerminal<T>(
  backend: Backend,
  group: ProcessGroup | null,
  o: HarnessOptions,
  work: (h: Harness) => Promise<T>,
): Promise<T> {
  // in a group, rank 0 alone speaks; its terminal may be the launcher's (HYPERCLONE_TTY)
  const quiet = (group?.rank ?? 0) > 0;
  const tty = process.env['HYPERCLONE_TTY'] ? process.env['HYPERCLONE_TTY'] === '1' : process.stderr.isTTY === true;
  const progress = new ProgressDisplay(quiet ? { write: () => true } : process.stderr, {
    tty,
    ...(o.plainEverySec ? { plainEverySec: o.plainEverySec } : {}),
  });
  const log = createRunLogger((level, msg) => progress.note(`${level === 'warn' ? 'warning' : 'error'}: ${msg}`));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    progress.note(`${signal}: finishing this step and saving a checkpoint (press Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    return await work({ backend, group, quiet, progress, log, signal: controller.signal });
  } catch (e) {
    log.fileOnly.error({ event: 'error', err: (e as Error).message }, (e as Error).message);
    throw e;
  } finally {
    progress.end();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    log.close();
  }
}
