// The parts a run is made of, and how they are made from its config: the model and optimizer, the data and
// its sampler, the schedule, the accounting and target, the evaluator, the checkpointer and the metrics sinks
// (each owning its state through core's Stateful), and the ranks they agree through. Not their order of
// events (training-run.ts) and not the resume that hands them their saved states (open-run.ts).

import type { Backend, Logger, StateDict } from '@hyperclone/core';
import { checkpointEvery } from '@hyperclone/core';
import { Accounting } from '../accounting/accounting.js';
import { resolvePeak, type PeakFlops } from '../accounting/peaks.js';
import { RunAccounting } from '../accounting/run-accounting.js';
import { Checkpointer } from '../checkpoints/checkpointer.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { DataSource } from '../data/data-source.js';
import type { TrainData } from '../data/train-data.js';
import type { Ranks } from '../distributed/ranks.js';
import { Evaluator } from '../evaluation/evaluator.js';
import type { Task } from '../evaluation/tasks.js';
import { hookSink } from '../metrics/hook-sink.js';
import { jsonlSink } from '../metrics/jsonl-sink.js';
import { logSink } from '../metrics/log-sink.js';
import { RunSinks, type MetricsSink } from '../metrics/metrics-sink.js';
import { ModelPart } from '../model/model-part.js';
import type { ParsedTrainOptions } from '../options/options.js';
import { RunSchedule } from '../schedule/schedule.js';
import { TensorBoardSink } from '../tensorboard/tensorboard-sink.js';
import { modelSampler } from '../tensorboard/text-sample.js';
import type { RunConfig } from './run-config.js';
import type { RunFiles } from './run-files.js';

/** Everything a run is made of; each part owns its state (core's Stateful), and the loop composes them. */
export interface RunParts {
  config: RunConfig;
  ranks: Ranks;
  model: ModelPart;
  /** Where the data comes from (closed with the run) and the run's batches and windows from it. */
  source: DataSource;
  data: TrainData;
  schedule: RunSchedule;
  accounting: RunAccounting;
  evaluator: Evaluator;
  checkpointer: Checkpointer;
  sinks: RunSinks;
  /** Files that travel with the weights into every checkpoint (an imported model's tokenizer files). */
  carried: Record<string, Uint8Array>;
  peakSource: string | null;
}

export interface PartInputs {
  source: DataSource;
  files: RunFiles;
  store: CheckpointStore;
  tasks: Task[];
  log: Logger;
  ranks: Ranks;
  carried: Record<string, Uint8Array>;
  /** The stage `weights` belong to (a resumed run: its checkpoint's). */
  stage: number;
  weights: StateDict;
}

/** Each part of the run, made from the config; a resume then hands them their saved states. */
export async function makeParts(o: ParsedTrainOptions, config: RunConfig, i: PartInputs): Promise<RunParts> {
  const b = o.backend;
  const { ranks, log } = i;
  const peak = groupPeak(
    resolvePeak(b, config.precision, o.peakFlopsPerSec, (msg) => log.warn({ event: 'peak' }, msg)),
    config.worldSize,
    o,
  );
  log.info({ event: 'peak', peakFlopsPerSec: peak.flopsPerSec, source: peak.source }, 'MFU peak');
  const data = i.source.open({ ...config, rank: ranks.rank, worldSize: config.worldSize });
  const tokenizer = i.tasks.length > 0 ? await data.tokenizer() : null;
  const { batchSize, seqLen, gradClip } = config;
  const model = new ModelPart(b, {
    zeroStage: config.zeroStage,
    ranks,
    stages: config.stages,
    stage: i.stage,
    weights: i.weights,
    adamw: { beta1: config.beta1, beta2: config.beta2, eps: config.eps, weightDecay: config.weightDecay },
    // batchSize is the global micro-batch: each of W ranks computes its batchSize / W rows
    shape: {
      batchSize: batchSize / ranks.worldSize,
      seqLen,
      gradClip,
      checkpointEvery: checkpointEvery(config.activationCheckpointing),
      ...(ranks.reduceGradients ? { reduceGradients: ranks.reduceGradients } : {}),
    },
    initClone: config.init.clone,
    stepReplay: config.stepReplay,
    log,
  });
  const cost = new Accounting(config.stages[i.stage]!.flopsPerToken, config.backend.device.count, peak.flopsPerSec, {
    measured: peak.measured,
    onRaised: (from, to) =>
      log.info(
        { event: 'peak-raised', fromFlopsPerSec: from, toFlopsPerSec: to },
        `training ran at ${(to / 1e9).toFixed(1)} GFLOP/s, above the measured matmul peak of ${(from / 1e9).toFixed(1)}: MFU is against ${(to / 1e9).toFixed(1)} from here`,
      ),
  });
  return {
    config,
    ranks,
    model,
    source: i.source,
    data,
    schedule: new RunSchedule({
      kind: config.schedule,
      lr: config.lr,
      minLr: config.minLr,
      warmupSteps: config.warmup,
      totalSteps: config.steps,
      decayFraction: config.decayFraction,
      ...(config.stages.length > 1
        ? {
            restarts: config.stages
              .slice(1)
              .map((st) => ({ step: st.fromStep, warmupSteps: st.warmup, lr: st.lr ?? config.lr, decaySteps: st.decay ?? null })),
          }
        : {}),
    }),
    accounting: new RunAccounting(config, cost),
    evaluator: new Evaluator(b, ranks, {
      windows: data.evalSet,
      batchSize: config.evalBatchSize,
      tasks: i.tasks,
      tokenizer,
      taskLimit: config.taskLimit,
    }),
    checkpointer: new Checkpointer(i.store, ranks),
    // the record of truth first; rank 0 alone writes (the run emits on rank 0 only)
    sinks: new RunSinks([jsonlSink(i.files), ...(await tensorBoard(b, config, model, i)), logSink(log), hookSink(o), ...o.sinks]),
    carried: i.carried,
    peakSource: peak.source,
  };
}

/** The --tensorboard sink (rank 0's alone), right after the record of truth; none without the option. */
async function tensorBoard(b: Backend, config: RunConfig, model: ModelPart, i: PartInputs): Promise<MetricsSink[]> {
  if (!config.tensorboard || !i.ranks.main) return [];
  const onTorn = (message: string): void => i.log.warn({ event: 'recovery' }, message);
  return [new TensorBoardSink(config.tensorboard, { sample: await modelSampler(b, model, i.source.dir), onTorn })];
}

/** A measured or table peak is one rank's: the group's is worldSize times it (a given peak is the whole run's). */
function groupPeak(peak: PeakFlops, worldSize: number, o: ParsedTrainOptions): PeakFlops {
  if (worldSize === 1 || o.peakFlopsPerSec !== undefined) return peak;
  return { ...peak, flopsPerSec: peak.flopsPerSec * worldSize, source: `${peak.source}, × ${worldSize} ranks` };
}
