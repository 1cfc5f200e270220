// The CLI's side of data parallel: the launch flags (--nproc, --master-port), a worker's device and
// threads from the torchrun variables, joining the group on the torch backend, and noticing a lost
// launcher. Not the launcher (launcher.ts) and not training (the trainer's `distributed` option).

import { availableParallelism } from 'node:os';
import type { Backend, ProcessGroup } from '@hyperclone/core';
import { CliError, numberFlag } from './command.js';
import { launchLocal } from './launcher.js';
import type { FlagDoc } from './option-flags.js';
import type { RankEnv } from './torchrun-env.js';

export interface LaunchFlags {
  /** --nproc N: local worker processes to start (null: not given). */
  nproc: number | null;
  masterPort: number | undefined;
  /** argv without the launch flags: what each worker runs. */
  rest: string[];
}

/** The launch flags, as train's and bench's --help and the option list document them. */
export const LAUNCH_FLAGS: FlagDoc[] = [
  {
    name: 'nproc',
    arg: 'N',
    help: 'train on N local processes (ranks), like `torchrun --standalone` (docs/distributed.md)',
    defaultText: '1',
  },
  { name: 'master-port', arg: 'P', help: "with --nproc: the port of rank 0's rendezvous store", defaultText: 'a free port' },
];

/** `--nproc N`: N local workers of this command, one per rank; the tfjs backend is refused here, before any starts. */
export function launchRanks(command: string, launch: LaunchFlags, inGroup: boolean): Promise<number> {
  if (inGroup)
    throw new CliError('--nproc starts its own ranks; leave it out where RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT are set', 2);
  const rest = launch.rest;
  const i = rest.findLastIndex((t) => t === '--backend' || t.startsWith('--backend=')); // the last one counts
  const backend = i < 0 ? undefined : rest[i]!.includes('=') ? rest[i]!.split('=')[1] : rest[i + 1];
  if (backend === 'tfjs')
    throw new CliError(`the tfjs backend trains in one process; --nproc ${launch.nproc} needs --backend torch (or auto)`, 2);
  return launchLocal({
    nproc: launch.nproc!,
    argv: [command, ...rest],
    ...(launch.masterPort !== undefined ? { masterPort: launch.masterPort } : {}),
  });
}

/** Takes --nproc N and --master-port P (also --flag=value) out of a command's argv. */
export function takeLaunchFlags(argv: readonly string[]): LaunchFlags {
  const rest: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const name = ['--nproc', '--master-port'].find((f) => token === f || token.startsWith(`${f}=`));
    if (!name) {
      rest.push(token);
      continue;
    }
    const value = token.includes('=') ? token.slice(name.length + 1) : argv[++i];
    if (value === undefined || value.startsWith('--')) throw new CliError(`${name} needs a value`, 2);
    values[name.slice(2)] = value;
  }
  const nproc = numberFlag(values['nproc'], 'nproc', { integer: true, min: 1 }) ?? null;
  const masterPort = numberFlag(values['master-port'], 'master-port', { integer: true, min: 1 });
  if (masterPort !== undefined && (nproc === null || nproc === 1)) throw new CliError('--master-port goes with --nproc N (N > 1)', 2);
  return { nproc, masterPort, rest };
}

/** A worker's device and threads: cuda:LOCAL_RANK for --device cuda, and the cores shared among the local ranks. */
export function workerBackendFlags<F extends { device?: string | undefined; threads?: string | undefined }>(f: F, env: RankEnv): F {
  const device = f.device === 'cuda' ? `cuda:${env.localRank}` : f.device;
  const threads = f.threads ?? String(Math.max(1, Math.floor(availableParallelism() / env.localWorldSize)));
  return { ...f, device, threads };
}

/** This process's group, on the torch backend (c10d); the tfjs backend trains in one process only. */
export async function joinGroup(backend: Backend, env: RankEnv, timeoutMs?: number): Promise<ProcessGroup> {
  if (backend.name !== 'torch')
    throw new CliError(`the ${backend.name} backend trains in one process; --nproc and the torchrun variables need --backend torch`, 2);
  const torch = await import('@hyperclone/backend-torch');
  return torch.createProcessGroup(backend, {
    rank: env.rank,
    worldSize: env.worldSize,
    masterAddr: env.masterAddr,
    masterPort: env.masterPort,
    agentStore: env.agentStore,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

/** The group timeout from HYPERCLONE_DIST_TIMEOUT (seconds), else PyTorch's 30 minutes. */
export function groupTimeoutMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['HYPERCLONE_DIST_TIMEOUT'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new CliError(`HYPERCLONE_DIST_TIMEOUT must be a positive number of seconds (got "${raw}")`, 2);
  return Math.round(seconds * 1000);
}

/**
 * A worker started by our launcher watches the launcher's channel: when the launcher dies (even by
 * SIGKILL), the channel closes and the worker stops as on SIGTERM, so no worker is left behind.
 */
export function watchLauncher(env: NodeJS.ProcessEnv = process.env): void {
  if (env['HYPERCLONE_LAUNCHER'] !== '1' || !process.channel) return;
  process.channel.unref(); // the channel alone does not keep the worker alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
