// The record of truth: the run directory's config.json, metrics.jsonl, eval.jsonl and summary.json, written
// from the run's events (the other events are in these rows already). Not the files' reading and repair
// (run-files.ts) and not the checkpoints (checkpoints/).

import type { RunEvent } from './events.js';
import type { MetricsSink } from './metrics-sink.js';
import type { RunFiles } from '../run/run-files.js';

export function jsonlSink(files: RunFiles): MetricsSink {
  return {
    async write(e: RunEvent): Promise<void> {
      if (e.kind === 'start') await files.writeConfig(e.config);
      else if (e.kind === 'step') await files.appendMetrics(e.row);
      else if (e.kind === 'eval') await files.appendEval(e.row);
      else if (e.kind === 'summary') await files.writeSummary(e.summary);
    },
  };
}
