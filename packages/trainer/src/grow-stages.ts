// Growth in stages inside one run (`--grow-at STEP:width=2,depth=2`): the stage schema, the flag's
// parser, and the plan of every stage's model, clone record and FLOPs per token, fixed up front.
// Not the growing itself (TrainingRun.grow) and not the transforms (@hyperclone/init's growWeights).

import type { CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken } from '@hyperclone/core';
import { CLONE_VARIANTS, NEW_BLOCKS, PLACEMENTS, growPlan, type CloneOptions } from '@hyperclone/init';
import { z } from 'zod';

/** One growth: after optimizer step `step`, the model grows as `hyperclone grow` would grow it. */
export const growStageSchema = z
  .object({
    step: z.number().int().min(1),
    width: z.number().int().min(1).optional(),
    ffn: z.number().int().min(1).optional(),
    depth: z.number().int().min(1).optional(),
    placement: z.enum(PLACEMENTS).optional(),
    newBlocks: z.enum(NEW_BLOCKS).optional(),
    variant: z.enum(CLONE_VARIANTS).optional(),
    snrDb: z.number().optional(),
    tie: z.enum(['keep', 'untie']).optional(),
    rotate: z.boolean().optional(),
    /** Re-warmup steps after this growth (default: the run's warmup). */
    warmup: z.number().int().min(0).optional(),
  })
  .strict();
export type GrowStage = z.infer<typeof growStageSchema>;

/** The keys of the flag's text and the stage field each sets (numbers, words, or a bare switch). */
const KEYS: Record<string, { field: keyof GrowStage; kind: 'int' | 'number' | 'word' | 'switch' }> = {
  width: { field: 'width', kind: 'int' },
  ffn: { field: 'ffn', kind: 'int' },
  depth: { field: 'depth', kind: 'int' },
  placement: { field: 'placement', kind: 'word' },
  'new-blocks': { field: 'newBlocks', kind: 'word' },
  variant: { field: 'variant', kind: 'word' },
  'snr-db': { field: 'snrDb', kind: 'number' },
  tie: { field: 'tie', kind: 'word' },
  rotate: { field: 'rotate', kind: 'switch' },
  warmup: { field: 'warmup', kind: 'int' },
};

/**
 * `STEP:key=value,...` -> a stage: `600:width=2`, `1200:depth=2,placement=stack`, `800:width=2,variant=noisy-symmetric,rotate`.
 * Keys: width, ffn, depth, placement, new-blocks, variant, snr-db, tie, rotate (bare or =true/false), warmup.
 * Throws naming what is wrong; the values are checked again by the schema and the clone options.
 */
export function parseGrowStage(text: string): GrowStage {
  const hint =
    'write STEP:width=N[,depth=N,placement=interleave|stack,new-blocks=identity|copy,variant=V,snr-db=X,tie=keep|untie,rotate,warmup=N]';
  const m = /^\s*(\d+)\s*:(.*)$/.exec(text);
  if (!m) throw new Error(`--grow-at "${text}" does not start with a step; ${hint}`);
  const stage: Record<string, unknown> = { step: Number(m[1]) };
  for (const part of m[2]!.split(',').map((p) => p.trim())) {
    const [key, value] = part.split('=').map((s) => s.trim()) as [string, string | undefined];
    const k = KEYS[key];
    if (!k) throw new Error(`--grow-at "${text}": unknown key "${key}"; ${hint}`);
    if (k.kind === 'switch') {
      if (value !== undefined && value !== 'true' && value !== 'false')
        throw new Error(`--grow-at "${text}": ${key} takes no value or true/false`);
      stage[k.field] = value !== 'false';
      continue;
    }
    if (value === undefined || value === '') throw new Error(`--grow-at "${text}": ${key} needs a value (${key}=...)`);
    const n = Number(value);
    if (k.kind !== 'word' && (!Number.isFinite(n) || (k.kind === 'int' && !Number.isInteger(n))))
      throw new Error(`--grow-at "${text}": ${key} must be ${k.kind === 'int' ? 'an integer' : 'a number'} (got "${value}")`);
    stage[k.field] = k.kind === 'word' ? value : n;
  }
  const parsed = growStageSchema.safeParse(stage);
  if (!parsed.success)
    throw new Error(`--grow-at "${text}": ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** One stage of a run: the model it trains from `fromStep` (0 for the first), and what it costs per token. */
export interface RunStage {
  /** The stage trains optimizer steps fromStep + 1, fromStep + 2, ... (the growth happens after step fromStep). */
  fromStep: number;
  model: ModelConfig;
  params: number;
  flopsPerToken: number;
  /** The growth that made this stage's model (null for the first stage): the clone record of its last step. */
  clone: CloneInfo | null;
  /** The options the growth passes to growWeights (null for the first stage). */
  growth: Omit<CloneOptions, 'logger'> | null;
  /** Steps of the rate's linear re-warmup after the growth (the run's warmup for the first stage). */
  warmup: number;
}

/**
 * Every stage's model, planned from the initial model: stage k > 0 grows stage k-1's model with its
 * options, seeded by the run's seed + k so two stages and two seeds draw differently. Throws when the
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
    const growth = { width: 1, ...grow, seed: (seed + i + 1) >>> 0 } as Omit<CloneOptions, 'logger'>;
    let planned;
    try {
      planned = growPlan(prev.model, growth);
    } catch (e) {
      throw new Error(`growAt: the growth after step ${step}: ${(e as Error).message}`);
    }
    out.push(stage(step, planned.config, planned.clone, growth, seqLen, warmup ?? run.warmup));
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
