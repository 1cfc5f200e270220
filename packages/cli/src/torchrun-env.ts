// The torchrun environment of a worker process: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (all or
// none), LOCAL_RANK and LOCAL_WORLD_SIZE, and torchrun's agent store. Not the group (backend-torch).

import { CliError } from './command.js';

export interface RankEnv {
  rank: number;
  worldSize: number;
  /** This process's index on its machine: picks the GPU (cuda:LOCAL_RANK). Default: RANK. */
  localRank: number;
  /** Processes on this machine (divides the CPU threads). Default: WORLD_SIZE. */
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Set when torchrun's agent serves the store (TORCHELASTIC_USE_AGENT_STORE=True). */
  agentStore: { restartCount: number } | null;
}

const REQUIRED = ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'] as const;

/** The torchrun variables of env, checked; null when none of the four is set. */
export function rankEnv(env: NodeJS.ProcessEnv = process.env): RankEnv | null {
  const set = REQUIRED.filter((k) => env[k] !== undefined && env[k] !== '');
  if (set.length === 0) return null;
  const missing = REQUIRED.filter((k) => !set.includes(k));
  if (missing.length > 0) {
    throw new CliError(
      `the torchrun environment is incomplete: ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not; set all of ${REQUIRED.join(', ')} (and LOCAL_RANK) or none`,
      2,
    );
  }
  const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name]!;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) throw new CliError(`${name} must be an integer in [${min}, ${max}] (got "${raw}")`, 2);
    return n;
  };
  const worldSize = int('WORLD_SIZE', 1);
  const rank = int('RANK', 0, worldSize - 1);
  const localRank = env['LOCAL_RANK'] ? int('LOCAL_RANK', 0, worldSize - 1) : rank;
  const localWorldSize = env['LOCAL_WORLD_SIZE'] ? int('LOCAL_WORLD_SIZE', 1, worldSize) : worldSize;
  const agent = env['TORCHELASTIC_USE_AGENT_STORE'] === 'True';
  return {
    rank,
    worldSize,
    localRank,
    localWorldSize,
    masterAddr: env['MASTER_ADDR']!,
    masterPort: int('MASTER_PORT', 1, 65535),
    agentStore: agent ? { restartCount: env['TORCHELASTIC_RESTART_COUNT'] ? int('TORCHELASTIC_RESTART_COUNT', 0) : 0 } : null,
  };
}
