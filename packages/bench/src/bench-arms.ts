// Step 2 of the benchmark: the arms every seed trains, from the checked inputs: random init at the wide
// size, each clone arm (the small model grown by the shared growth and the arm's variant and modifiers,
// read by init's parseGrowthArm), and the staged arm (random at the small size, grown inside its run).
// Not the training (bench-runs.ts) and not the inputs' checks (bench-inputs.ts).

import type { Initializer, Logger, ModelConfig } from '@hyperclone/core';
import { hyperclone, parseGrowthArm, randomInit, type GrowthOptions } from '@hyperclone/init';
import { planStages, type TrainOptions } from '@hyperclone/trainer';
import { STAGED_ARM } from './analyze.js';
import { effectiveStages, type BenchInputs } from './bench-inputs.js';
import type { CompareOptions } from './bench-options.js';

export interface Arm {
  label: string;
  /** The arm's initializer for a seed, given the trained small model's checkpoint. */
  init: (seed: number, smallCheckpoint: string) => Initializer;
  warmup: number | undefined;
  steps: number;
  extra: Partial<TrainOptions>;
}

/** random at the grown size, every clone arm, and the staged arm when asked for (its sizes checked here). */
export function benchArms(o: CompareOptions, inputs: BenchInputs, log: Logger): Arm[] {
  const randomConfig = { ...inputs.wide, logitScale: 1, tieEmbeddings: inputs.small.tieEmbeddings };
  const arms: Arm[] = [
    { label: 'random', init: (seed) => randomInit(randomConfig, { seed }), warmup: o.warmup, steps: o.steps, extra: {} },
    ...inputs.variants.map((arm) => cloneArm(o, inputs, arm, log)),
  ];
  if (o.stages) arms.push(stagedArm(o, inputs.small, randomConfig));
  return arms;
}

/** The small model grown by the shared growth, the arm's variant and modifiers, and the seed. */
function cloneArm(o: CompareOptions, inputs: BenchInputs, arm: string, log: Logger): Arm {
  const { width, ffn, depth, placement, newBlocks, tie } = inputs.growth;
  const growth = (seed: number): GrowthOptions => ({
    width,
    ffn,
    ...(depth > 1 ? { depth, placement, newBlocks } : {}),
    ...(o.tie !== undefined ? { tie } : {}),
    ...parseGrowthArm(arm, depth),
    ...(o.snrDb !== undefined && arm.startsWith('noisy') ? { snrDb: o.snrDb } : {}),
    seed,
    logger: log,
  });
  return {
    label: `clone:${arm}`,
    init: (seed, smallCheckpoint) => hyperclone(smallCheckpoint, growth(seed)),
    warmup: o.rewarmup ?? o.warmup,
    steps: o.steps,
    extra: {},
  };
}

/** Random init at the small size, grown in its own run; its stages re-warm for rewarmup (else warmup) steps unless they say otherwise. */
function stagedArm(o: CompareOptions, smallConfig: ModelConfig, wide: ModelConfig): Arm {
  const stages = effectiveStages(o)!;
  const steps = stages.at(-1)!.step + o.steps;
  const last = planStages(smallConfig, stages, { seed: 0, steps, seqLen: o.seqLen ?? smallConfig.contextLength, warmup: 0 }).at(-1)!.model;
  const size = (c: ModelConfig) => `dModel ${c.dModel}, nLayer ${c.nLayer}, dFF ${c.dFF}, ${c.nHead} heads`;
  if (size(last) !== size(wide))
    throw new Error(`the stages end at ${size(last)}, but the wide arms are ${size(wide)}; grow to the same size`);
  return { label: STAGED_ARM, init: (seed) => randomInit(smallConfig, { seed }), warmup: o.warmup, steps, extra: { growAt: stages } };
}
