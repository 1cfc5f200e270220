// What a resume does with each option, read off the option table: the saved settings it carries (so
// `hyperclone train --out RUN --resume` is enough) and the fields that fix the loss trajectory, which
// must not change. Not loading or checking the checkpoint (open-run.ts).

import { TRAIN_OPTIONS } from './option-table.js';
import type { TrainOptions } from './options.js';
import type { RunConfig } from '../run/run-config.js';

const rows = Object.entries(TRAIN_OPTIONS);

/** Fields that fix the loss trajectory: the model config and every 'fixed' option config.json records. */
export const TRAJECTORY_FIELDS: readonly (keyof RunConfig)[] = [
  'model',
  ...rows.filter(([, row]) => row.resume === 'fixed' && row.recorded !== 'none').map(([key]) => key as keyof RunConfig),
];

/** The saved run's value of every 'fixed' and 'kept' option, for a resume to start from (flags given again override them). */
export function resumeSettings(saved: RunConfig): Partial<TrainOptions> {
  const settings: Record<string, unknown> = {};
  for (const [key, row] of rows) {
    if (row.resume === 'fresh') continue;
    const value = row.saved ? row.saved(saved) : (saved as unknown as Record<string, unknown>)[key];
    if (value !== null && value !== undefined) settings[key] = value;
  }
  return settings as Partial<TrainOptions>;
}

/** The trajectory fields that differ between a saved run config and a new one, each named down to the leaf (empty: compatible). */
export function trajectoryMismatch(saved: RunConfig, next: RunConfig): string[] {
  return TRAJECTORY_FIELDS.flatMap((key) => differences(key, saved[key], next[key]));
}

function differences(name: string, saved: unknown, now: unknown): string[] {
  if (JSON.stringify(saved) === JSON.stringify(now)) return [];
  if (isRecord(saved) && isRecord(now)) {
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])];
    return keys.flatMap((k) => differences(`${name}.${k}`, saved[k], now[k]));
  }
  const [a, b] = [shown(saved), shown(now)];
  return [a.length + b.length > 160 ? `${name} (changed)` : `${name} (saved ${a}, now ${b})`];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}
