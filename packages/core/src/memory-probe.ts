// Optional capability of an engine: what its tensors and its allocator hold, measured rather than estimated
// (for the memory plan's checks and the benchmarks). Not an estimate (memory-estimate.ts) and not a limit.

import type { Backend } from './backend.js';

export interface AllocatorStats {
  /** Bytes the engine's allocator handed out since tracking began and that are not freed yet. */
  allocatedBytes: number;
  /** The most allocatedBytes has been since the last resetPeakMemory (or since tracking began). */
  peakBytes: number;
}

export interface MemoryProbe {
  /** Bytes of the distinct storages behind the tensors this backend holds (views of one storage count once). */
  liveBytes(): number;
  /** Starts counting the allocator's allocations (those made before are not seen); idempotent. */
  trackMemory(): void;
  /** The device's allocator (host memory on CPU) since trackMemory. */
  allocatorStats(): AllocatorStats;
  resetPeakMemory(): void;
}

/** The engine's memory probe when it has one (the torch backend), else null. */
export function memoryProbe(b: Backend): MemoryProbe | null {
  const p = b as Backend & Partial<MemoryProbe>;
  return typeof p.liveBytes === 'function' &&
    typeof p.trackMemory === 'function' &&
    typeof p.allocatorStats === 'function' &&
    typeof p.resetPeakMemory === 'function'
    ? (p as MemoryProbe)
    : null;
}
