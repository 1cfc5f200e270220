// The addon's op profile (native/op-profiler.cpp) for benchmarks: wall-clock self and total time per ATen op
// and per entry (the op JavaScript called, or a replayed program's instruction) on the calling thread.
// Not a tracer (no timeline, no other threads) and not used by training itself.

import { loadAddon, type NativeOpStats } from './addon.js';

export type OpStats = NativeOpStats;

export interface OpProfile {
  /** Wall-clock microseconds from start to stop. */
  wallUs: number;
  /** Microseconds inside any recorded op or entry: the rest is JavaScript and the crossing into the addon. */
  insideUs: number;
  ops: OpStats[];
}

/** Starts profiling the calling thread's ops (one profile at a time per process). */
export function startOpProfile(): void {
  loadAddon().opProfileStart();
}

export function stopOpProfile(): OpProfile {
  return loadAddon().opProfileStop();
}
