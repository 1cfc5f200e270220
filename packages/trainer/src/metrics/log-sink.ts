// The run's events as log lines through core's Logger (the CLI's pino writes them to RUN/train.log): the
// start, evaluations, a target reached, growths, checkpoints and the end at info, each step at debug.
// Not the warnings parts raise themselves (recovery, symmetry, peak), which they log where they arise.

import type { Logger } from '@hyperclone/core';
import { metricValue } from '../accounting/targets.js';
import type { Target } from '../options/option-table.js';
import type { RunEvent } from './events.js';
import type { MetricsSink } from './metrics-sink.js';

export function logSink(log: Logger): MetricsSink {
  let target: Target | null = null;
  return {
    write(e: RunEvent): void {
      switch (e.kind) {
        case 'start': {
          const c = e.config;
          target = c.target;
          const { params, tokensPerStep, backend } = c;
          log.info(
            { event: 'start', runDir: e.runDir, resumedFromStep: e.resumedFromStep, steps: e.totalSteps, params, tokensPerStep, backend },
            e.resumedFromStep === null ? 'training' : `resuming at step ${e.resumedFromStep}`,
          );
          return;
        }
        case 'step':
          log.debug({ ...e.row, event: 'step' }, 'step');
          return;
        case 'eval': {
          const { step, val, tasks, symmetry, reachedTarget } = e.row;
          if (reachedTarget && target) {
            const { tokens, flops, deviceHours } = e.row;
            const value = metricValue(target.metric, val, tasks);
            log.info(
              { event: 'target', step, tokens, flops, deviceHours, value, metric: target.metric, target: target.value },
              'reached the target',
            );
          }
          const symmetryMean = symmetry?.mean ?? null;
          log.info({ event: 'eval', step, valLoss: val.loss, valPpl: val.ppl, valAcc: val.acc, tasks, symmetryMean }, 'evaluation');
          return;
        }
        case 'grow': {
          const { kind: _kind, ...grow } = e;
          log.info(
            { event: 'grow', ...grow },
            `grew the model after step ${e.afterStep}: dModel ${e.dModel}, nLayer ${e.nLayer}, ${e.params} parameters`,
          );
          return;
        }
        case 'checkpoint': {
          const { kind: _kind, ...saved } = e;
          log.info({ event: 'checkpoint', ...saved }, 'checkpoint saved');
          return;
        }
        case 'summary': {
          const s = e.summary;
          log.info(
            {
              event: 'end',
              stopReason: s.stopReason,
              step: s.steps,
              checkpoint: s.checkpoint,
              deviceHours: s.deviceHours,
              finalValLoss: s.finalValLoss,
            },
            `stopped: ${s.stopReason}`,
          );
          return;
        }
        default:
          return; // tasks and symmetry are in the evaluation's line
      }
    },
  };
}
