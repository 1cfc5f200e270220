// A metrics sink: where a run's events go (the run directory's JSONL files, the log, the callbacks, and any a
// library user passes, e.g. a TensorBoard writer), and the fan-out that gives every sink each event in order,
// on rank 0 alone. Not the events themselves (events.ts) and not any one sink (jsonl-sink.ts, log-sink.ts, hook-sink.ts).

import type { RunEvent } from './events.js';

export interface MetricsSink {
  /** Takes one event; the run waits for it before it goes on, so a sink sees the events in order. */
  write(event: RunEvent): void | Promise<void>;
  /** The run is over (completed, stopped, or failed): flush and let go of files. */
  close?(): void | Promise<void>;
}

/** The run's sinks in order: the record of truth (JSONL) first. */
export class RunSinks {
  constructor(private readonly sinks: readonly MetricsSink[]) {}

  async emit(event: RunEvent): Promise<void> {
    for (const sink of this.sinks) await sink.write(event);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close?.();
  }
}
