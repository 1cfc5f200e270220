// Growth in stages inside one run (`--grow-at STEP:width=2,depth=2`): the stage (a step, a re-warmup and
// one of init's growths), the flag's text, and every stage's model, clone record and FLOPs per token planned
// up front by init's planGrowth. Not the growing itself (the model part) and not the growth (@hyperclone/init).

import type { CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken } from '@hyperclone/core';
import { parseGrowthText, planGrowth, resolveGrowth, GROWTH_TEXT_HINT, type GrowthOptions, type GrowthSpec } from '@hyperclone/init';
import { z } from 'zod';

/** One growth: after optimizer step `step`, the model grows as `hyperclone grow` would grow it; `warmup`: its re-warmup steps. */
export type GrowStage = { step: number; warmup?: number } & Omit<GrowthOptions, 'logger'>;

/** A stage's step and warmup, and its growth checked by init's resolveGrowth (the one place growth options are read); kept as given. */
export const growStageSchema = z
  .custom<GrowStage>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'must be an object {step, ...growth}',
  })
  .superRefine((stage, ctx) => {
    const { step, warmup, ...growth } = stage;
    if (!Number.isInteger(step) || step < 1) ctx.addIssue({ code: 'custom', path: ['step'], message: 'must be an integer >= 1' });
    if (warmup !== undefined && (!Number.isInteger(warmup) || warmup < 0))
      ctx.addIssue({ code: 'custom', path: ['warmup'], message: 'must be an integer >= 0' });
    try {
      if ('logger' in growth) throw new Error('a stage takes no logger');
      resolveGrowth(growth as GrowthOptions);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

/**
 * `STEP:key=value,...` -> a stage: `600:width=2`, `1200:depth=2,placement=stack`, `800:width=2,variant=noisy-symmetric,rotate`.
 * The keys are init's growth text (parseGrowthText) plus `warmup`. Throws naming what is wrong.
 */
export function parseGrowStage(text: string): GrowStage {
  const hint = `write STEP:${GROWTH_TEXT_HINT},warmup=N (only the keys you need)`;
  const m = /^\s*(\d+)\s*:(.*)$/.exec(text);
  if (!m) throw new Error(`--grow-at "${text}" does not start with a step; ${hint}`);
  let parsed;
  try {
    parsed = parseGrowthText(m[2]!, { warmup: { kind: 'int', min: 0 } });
    resolveGrowth(parsed.options);
  } catch (e) {
    throw new Error(`--grow-at "${text}": ${(e as Error).message}`);
  }
  const warmup = parsed.extra['warmup'];
  return { step: Number(m[1]), ...parsed.options, ...(warmup !== undefined ? { warmup: warmup as number } : {}) };
}

/** One stage of a run: the model it trains from `fromStep` (0 for the first), and what it costs per token. */
export interface RunStage {
  /** The stage trains optimizer steps fromStep + 1, fromStep + 2, ... (the growth happens after step fromStep). */
  fromStep: number;
  model: ModelConfig;
  params: number;
  flopsPerToken: number;
  /** The growth that made this stage's model (null for the first stage): its clone record. */
  clone: CloneInfo | null;
  /** The growth, resolved (null for the first stage): what init's applyGrowth makes after step fromStep. */
  growth: GrowthSpec | null;
  /** Steps of the rate's linear re-warmup after the growth (the run's warmup for the first stage). */
  warmup: number;
}

/**
 * Every stage's model, planned from the initial model by init's planGrowth: stage k > 0 grows stage k-1's
 * model with its options, seeded by the run's seed + k (unless it names a seed) so two stages and two
 * seeds draw differently. Throws when the
 * steps do not increase, leave no step to train, or a growth cannot be made.
 */
export function planStages(
  model: ModelConfig,
  stages: readonly GrowStage[],
  run: { seed: number; steps: number; seqLen: number; warmup: number },
): RunStage[] {
  const { seed, steps, seqLen } = run;
  const out: RunStage[] = [stage(0, model, null, null, seqLen, run.warmup)];
  stages.forEach((s, i) => {
    const prev = out.at(-1)!;
    if (s.step <= prev.fromStep)
      throw new Error(`growAt: stage steps must increase (step ${s.step} comes after step ${prev.fromStep}); sort the stages`);
    if (s.step >= steps) throw new Error(`growAt: a growth after step ${s.step} leaves nothing to train in a run of ${steps} steps`);
    const { step, warmup, ...grow } = s;
    let planned;
    try {
      planned = planGrowth(prev.model, { ...grow, seed: grow.seed ?? (seed + i + 1) >>> 0 }, { seqLen });
    } catch (e) {
      throw new Error(`growAt: the growth after step ${step}: ${(e as Error).message}`);
    }
    out.push(stage(step, planned.config, planned.clone, planned.spec, seqLen, warmup ?? run.warmup));
  });
  return out;
}

function stage(
  fromStep: number,
  model: ModelConfig,
  clone: CloneInfo | null,
  growth: RunStage['growth'],
  seqLen: number,
  warmup: number,
): RunStage {
  return { fromStep, model, params: countParams(model), flopsPerToken: trainFlopsPerToken(model, seqLen), clone, growth, warmup };
}

/**
 * The stage that trains optimizer step `step`: the last one with fromStep < step. A checkpoint saved
 * after step k holds that stage's model for step k (a growth after step k happens after its
 * checkpoint, before step k + 1); step 0 is the first stage.
 */
export function stageIndexAt(stages: readonly RunStage[], step: number): number {
  let k = 0;
  for (let i = 1; i < stages.length; i++) if (stages[i]!.fromStep < step) k = i;
  return k;
}
