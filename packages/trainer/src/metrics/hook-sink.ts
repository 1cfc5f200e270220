// trainFrom's callbacks (onStart, onStep, onEval, onCheckpoint) as a metrics sink, so the CLI's progress
// display receives what every other sink does. Not a sink of its own kind: a user sink goes in `sinks`.

import type { ParsedTrainOptions } from '../options/options.js';
import type { RunEvent } from './events.js';
import type { MetricsSink } from './metrics-sink.js';

export function hookSink(o: Pick<ParsedTrainOptions, 'onStart' | 'onStep' | 'onEval' | 'onCheckpoint'>): MetricsSink {
  return {
    write(e: RunEvent): void {
      if (e.kind === 'start') {
        const { kind: _kind, config, ...start } = e;
        o.onStart?.({ ...start, config: config as unknown as Record<string, unknown> });
      } else if (e.kind === 'step') o.onStep?.(e.row);
      else if (e.kind === 'eval') o.onEval?.(e.row);
      else if (e.kind === 'checkpoint') {
        const { kind: _kind, ...saved } = e;
        o.onCheckpoint?.(saved);
      }
    },
  };
}
