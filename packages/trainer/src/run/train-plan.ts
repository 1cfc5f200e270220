// The memory plan of a training run, before anything is allocated: one rank's weights, gradients, AdamW moments
// and activations under the run's ZeRO stage, activation checkpointing and autocast (core's rankState), the
// host's part, whether it fits the device, and the widest clone of the model that fits with each option
// (`hyperclone train --dry-run`). Not the formulas (core's memory-estimate.ts) and not a measurement.

import type { Backend, Initializer, ModelConfig, RankState, StateLayout } from '@hyperclone/core';
import { checkpointEvery, countParams, GIB, hostMemoryLimit, loadBytes, rankState, RUNTIME_BYTES, weightBytes } from '@hyperclone/core';
import { planStages } from '../model/grow-stages.js';
import type { ParsedTrainOptions } from '../options/options.js';

/** What the plan knows of the run: its largest model, one rank's batch, and how the state is laid out. */
export interface PlanInputs {
  /** The run's largest model (of its growth stages). */
  model: ModelConfig;
  /** Growth stages of the run (1 when it does not grow). */
  stages: number;
  /** Sequences per micro-batch on one rank (the larger of the train and eval batch, over the ranks). */
  rows: number;
  seqLen: number;
  layout: Required<Pick<StateLayout, 'zeroStage' | 'worldSize' | 'checkpointEvery' | 'gradAccum' | 'attention'>> & {
    autocast: 'bf16' | null;
  };
  /** 'cpu': the device is the host (one memory); 'cuda': the device part against deviceBytes, the host part apart. */
  device: 'cpu' | 'cuda';
  /** The device's memory the plan is held against (on CPU the host's limit). */
  deviceBytes: number;
  /** Where deviceBytes came from, for the words. */
  deviceText: string;
  /** Host bytes the initializer holds while loading (the weights, a clone's source). */
  loadBytes: number;
}

/** One way of laying the state out, as the flags say it. */
export interface PlanOption {
  zeroStage: 0 | 1 | 2;
  checkpointing: 'none' | 'blocks';
  autocast: 'bf16' | null;
}

export interface OptionFit {
  option: PlanOption;
  /** This model's bytes on one rank's device with the option. */
  bytes: number;
  fits: boolean;
  /** The widest clone (width multiple, as `hyperclone clone --width k`) that fits with the option; 0: not even the model. */
  widest: number;
  widestParams: number;
}

export interface TrainPlan {
  inputs: PlanInputs;
  rank: RankState;
  /** The host's own part: the process, the initializer's load, the checkpoint staging. */
  host: { runtime: number; initial: number; checkpointStaging: number };
  /** What is held against deviceBytes: on CPU rank and host together, on CUDA the rank's device part. */
  deviceTotal: number;
  fits: boolean;
  options: OptionFit[];
}

/** The model `k` times as wide, as a width clone makes it: dModel, heads and dFF times k, headDim kept. */
export function widerModel(c: ModelConfig, k: number): ModelConfig {
  return { ...c, dModel: c.dModel * k, nHead: c.nHead * k, nKvHead: c.nKvHead * k, dFF: c.dFF * k };
}

function deviceBytesOf(c: ModelConfig, i: PlanInputs, layout: StateLayout): number {
  const r = rankState(c, i.rows, i.seqLen, layout);
  const device = r.weights + r.gradients + r.moments + r.activations + r.buffers;
  return i.device === 'cpu' ? device + RUNTIME_BYTES.training + i.loadBytes + 2 * weightBytes(c) : device;
}

/** The options the plan compares: every ZeRO stage with and without checkpointing (and autocast on CUDA). */
function planOptions(i: PlanInputs): PlanOption[] {
  const autocasts: ('bf16' | null)[] = i.device === 'cuda' ? [null, 'bf16'] : [null];
  return autocasts.flatMap((autocast) =>
    ([0, 1, 2] as const).flatMap((zeroStage) =>
      (['none', 'blocks'] as const).map((checkpointing) => ({ zeroStage, checkpointing, autocast })),
    ),
  );
}

function layoutOf(i: PlanInputs, o: PlanOption): StateLayout {
  return { ...i.layout, zeroStage: o.zeroStage, checkpointEvery: o.checkpointing === 'blocks' ? 1 : 0, autocast: o.autocast };
}

export function trainPlan(i: PlanInputs): TrainPlan {
  const rank = rankState(i.model, i.rows, i.seqLen, i.layout);
  const w = weightBytes(i.model);
  const host = { runtime: RUNTIME_BYTES.training, initial: i.loadBytes, checkpointStaging: 2 * w };
  const deviceTotal = deviceBytesOf(i.model, i, i.layout);
  const options = planOptions(i).map((option): OptionFit => {
    const layout = layoutOf(i, option);
    const bytes = deviceBytesOf(i.model, i, layout);
    let widest = 0;
    // the initializer's load grows with the clone (its output), so it scales with k² like the weights
    const fitsAt = (k: number) => deviceBytesOf(widerModel(i.model, k), { ...i, loadBytes: i.loadBytes * k * k }, layout) <= i.deviceBytes;
    while (widest < 4096 && fitsAt(widest + 1)) widest++;
    return { option, bytes, fits: bytes <= i.deviceBytes, widest, widestParams: widest > 0 ? countParams(widerModel(i.model, widest)) : 0 };
  });
  return { inputs: i, rank, host, deviceTotal, fits: deviceTotal <= i.deviceBytes, options };
}

const gib = (bytes: number): string => (bytes / GIB).toFixed(bytes < 10 * GIB ? 2 : 1);

/** The flags that select an option (only those that differ from the defaults). */
export function optionFlags(o: PlanOption): string {
  const parts = [`--zero-stage ${o.zeroStage}`, `--activation-checkpointing ${o.checkpointing}`];
  if (o.autocast) parts.push('--autocast bf16');
  return parts.join(' ');
}

/** The plan as `train --dry-run` prints it (stdout). */
export function formatPlan(p: TrainPlan): string {
  const i = p.inputs;
  const l = i.layout;
  const mode = l.checkpointEvery === 0 ? 'none' : l.checkpointEvery === 1 ? 'blocks' : `every-${l.checkpointEvery}`;
  const lines = [
    `memory plan: ${countParams(i.model).toLocaleString('en-US')} parameters (dModel ${i.model.dModel}, nLayer ${i.model.nLayer}), ` +
      `${i.rows} x ${i.seqLen} tokens per micro-batch ${l.worldSize > 1 ? `on each of ${l.worldSize} ranks` : 'in one process'}, ` +
      `zero stage ${l.zeroStage}, activation checkpointing ${mode}${l.autocast ? ', bf16 autocast' : ''}, on ${i.device}`,
    `per rank (GiB): weights ${gib(p.rank.weights)}, gradients ${gib(p.rank.gradients)}, moments ${gib(p.rank.moments)}, ` +
      `activations ${gib(p.rank.activations)}, collective buffers ${gib(p.rank.buffers)}`,
    `host (GiB): process ${gib(p.host.runtime)}, initial weights ${gib(p.host.initial)}, checkpoint staging ${gib(p.host.checkpointStaging)}`,
    `${i.device === 'cpu' ? 'total' : 'device total'}: ${gib(p.deviceTotal)} GiB of ${gib(i.deviceBytes)} GiB (${i.deviceText}): ` +
      (p.fits
        ? `fits (${gib(i.deviceBytes - p.deviceTotal)} GiB to spare)`
        : `does not fit (${gib(p.deviceTotal - i.deviceBytes)} GiB over)`),
    '',
    `with each option, per rank (GiB), and the widest clone of this model that fits (${gib(i.deviceBytes)} GiB, ${l.worldSize} rank${l.worldSize > 1 ? 's' : ''}):`,
    ...p.options.map((f) => {
      const widest = f.widest > 0 ? `width x${f.widest} (${f.widestParams.toLocaleString('en-US')} parameters)` : 'none';
      return `  ${optionFlags(f.option).padEnd(66)} ${gib(f.bytes).padStart(8)}  ${f.fits ? 'fits' : 'over'}  widest: ${widest}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** The smallest change that fits: the fewest flags changed from the run's own, then the option that saves the least; null when none fits. */
export function leastFittingOption(p: TrainPlan): OptionFit | null {
  const changes = (f: OptionFit) => changedFlags(p.inputs, f.option).split(' --').filter(Boolean).length;
  return p.options.filter((f) => f.fits).sort((a, b) => changes(a) - changes(b) || b.bytes - a.bytes)[0] ?? null;
}

/** The flags of `o` that differ from the run's own layout. */
export function changedFlags(i: PlanInputs, o: PlanOption): string {
  const mode = i.layout.checkpointEvery === 0 ? 'none' : i.layout.checkpointEvery === 1 ? 'blocks' : `every-${i.layout.checkpointEvery}`;
  const parts: string[] = [];
  if (o.zeroStage !== i.layout.zeroStage) parts.push(`--zero-stage ${o.zeroStage}`);
  if (o.checkpointing !== mode) parts.push(`--activation-checkpointing ${o.checkpointing}`);
  if (o.autocast !== i.layout.autocast) parts.push(`--autocast ${o.autocast ?? 'none'}`);
  return parts.join(' ');
}

/** null when the plan fits; else one line: by how much it does not, and the smallest change of option that fits. */
export function planRefusal(p: TrainPlan): string | null {
  if (p.fits) return null;
  const i = p.inputs;
  const over = `the plan needs ${gib(p.deviceTotal)} GiB per rank but ${gib(i.deviceBytes)} GiB is there (${gib(p.deviceTotal - i.deviceBytes)} GiB over)`;
  const fit = leastFittingOption(p);
  const fix = fit
    ? `${changedFlags(i, fit.option)} would fit (${gib(fit.bytes)} GiB)`
    : 'no ZeRO stage, activation checkpointing or autocast makes it fit: lower --batch-size or --seq-len, add ranks, or train a smaller model';
  return `train --dry-run: ${over}; ${fix}`;
}

/** The engine's attention: fused (row statistics only) for libtorch 2.x's scaled_dot_product_attention on CUDA without dropout. */
function attentionOf(b: Backend, model: ModelConfig): 'fused' | 'materialized' {
  const v = /^libtorch (\d+)\./.exec(b.engine)?.[1];
  return b.name === 'torch' && b.device.kind === 'cuda' && v !== undefined && Number(v) >= 2 && model.dropout === 0
    ? 'fused'
    : 'materialized';
}

/** The run's largest stage and one rank's layout, from the options (what the memory check and the dry run share). */
export async function planInputs(
  init: Initializer,
  o: ParsedTrainOptions,
  worldSize: number,
  device?: { bytes: number; text: string },
  localRanks = 1,
): Promise<PlanInputs | null> {
  if (!init.plan) return null;
  const plan = await init.plan();
  const model = o.dropout === undefined ? plan.config : { ...plan.config, dropout: o.dropout };
  const seqLen = o.seqLen ?? model.contextLength;
  if (seqLen > model.contextLength) return null; // refused by resolveRunConfig, in its words
  let stages = [model];
  try {
    stages = planStages(model, o.growAt, { seed: o.seed, steps: o.steps, seqLen, warmup: o.warmup ?? 0 }).map((s) => s.model);
  } catch {
    // a growth that cannot be made is refused by resolveRunConfig
  }
  const largest = stages.reduce((a, c) => (countParams(c) > countParams(a) ? c : a));
  const gradAccum = o.gradAccum ?? (o.batchTokens ? Math.max(1, Math.round(o.batchTokens / (o.batchSize * seqLen))) : 1);
  const kind = o.backend.device.kind === 'cuda' ? 'cuda' : 'cpu';
  const limit = hostMemoryLimit();
  const hostShare = {
    bytes: limit.bytes / localRanks,
    text: localRanks > 1 ? `the host's limit over ${localRanks} local ranks: ${limit.text}` : `the host's limit: ${limit.text}`,
  };
  return {
    model: largest,
    stages: stages.length,
    rows: Math.ceil(Math.max(o.batchSize, o.evalBatchSize ?? o.batchSize) / worldSize),
    seqLen,
    layout: {
      zeroStage: o.zeroStage,
      worldSize,
      checkpointEvery: checkpointEvery(o.activationCheckpointing),
      gradAccum,
      attention: attentionOf(o.backend, largest),
      autocast: /bf16 autocast/.test(o.backend.engine) ? 'bf16' : null,
    },
    device: kind,
    deviceBytes: device?.bytes ?? hostShare.bytes,
    deviceText: device?.text ?? (kind === 'cpu' ? hostShare.text : `${hostShare.text}; pass --device-memory GIB for the GPU's`),
    loadBytes: loadBytes(plan),
  };
}
