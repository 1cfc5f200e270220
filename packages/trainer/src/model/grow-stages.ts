// Growth in stages inside one run (`--grow-at STEP:width=2,depth=2`): the stage (when: a step or a share of
// the run; one of init's growths; and what the trainer does after it: re-warmup, AdamW's moments, the peak
// rate, its faster decay, the per-width rate of the grown layers), the flag's text, and every stage's
// model, clone record and FLOPs per token planned up front by init's planGrowth. Not the growing itself
// (the model part), not the rates (schedule.ts) and not the growth (@hyperclone/init).

import type { CloneInfo, ModelConfig } from '@hyperclone/core';
import { countParams, trainFlopsPerToken } from '@hyperclone/core';
import {
  momentsCarryRefusal,
  parseGrowthText,
  planGrowth,
  resolveGrowth,
  GROWTH_TEXT_HINT,
  type FieldValue,
  type GrowthOptions,
  type GrowthSpec,
} from '@hyperclone/init';
import { z } from 'zod';

export const MOMENT_MODES = ['zero', 'carry'] as const;
export type MomentMode = (typeof MOMENT_MODES)[number];

/** What the trainer does after a growth: the keys a stage adds to init's growth text. */
export interface StageLevers {
  /** Steps of the rate's linear re-warmup after the growth (default: the run's warmup). */
  warmup?: number;
  /** AdamW's moments after the growth: 'zero' (default: fresh, the step count too) or 'carry' (init's growMoments, the step count kept). */
  moments?: MomentMode;
  /** The peak rate from this growth on (default: the run's `lr`); the schedule's rates are scaled by lr / the run's lr. */
  lr?: number;
  /** LEMON's faster decay: from the growth, a cosine from the peak to the floor over this many steps, then the floor. */
  decay?: number;
  /** muP's per-width rate: every linear weight's rate times (its input size in the first stage) / (its input size now). */
  mup?: boolean;
}

/** One stage key of the trainer's: its value in `k=v` text, the field it sets, and its help line. */
export interface StageField {
  key: string;
  field: keyof StageLevers;
  value: FieldValue;
  arg: string | null;
  help: string;
}

/** The trainer's stage keys, one row each (init's growth text has the growth's own). */
export const STAGE_FIELDS: readonly StageField[] = [
  {
    key: 'warmup',
    field: 'warmup',
    value: { kind: 'int', min: 0 },
    arg: 'N',
    help: "steps of linear re-warmup after the growth (default: the run's warmup)",
  },
  {
    key: 'moments',
    field: 'moments',
    value: { kind: 'choice', choices: MOMENT_MODES },
    arg: MOMENT_MODES.join('|'),
    help: "AdamW's moments after the growth: zero (fresh) or carry (tiled like the weights, scaled like the gradients: the same update)",
  },
  { key: 'lr', field: 'lr', value: { kind: 'number' }, arg: 'L', help: "the peak rate from the growth on (default: the run's lr)" },
  {
    key: 'decay',
    field: 'decay',
    value: { kind: 'int', min: 1 },
    arg: 'N',
    help: "LEMON's faster decay: a cosine from the peak to min-lr over N steps after the growth, then min-lr",
  },
  {
    key: 'mup',
    field: 'mup',
    value: { kind: 'switch' },
    arg: null,
    help: "muP's per-width rate: each linear weight's rate times its input size in the first stage over its input size now",
  },
];

/** When a growth happens: after optimizer step `step`, or after `fraction` of the run's steps (`25%`). */
export type StageWhen = { step: number; fraction?: undefined } | { fraction: number; step?: undefined };

/** One growth: when, what the model grows into (init's growth options) and what the trainer does after it. */
export type GrowStage = StageWhen & StageLevers & Omit<GrowthOptions, 'logger'>;

const LEVER_KEYS = STAGE_FIELDS.map((f) => f.field as string);

/** A stage's when, its levers, and its growth checked by init's resolveGrowth (the one place growth options are read); kept as given. */
export const growStageSchema = z
  .custom<GrowStage>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    message: 'must be an object {step | fraction, ...growth}',
  })
  .superRefine((stage, ctx) => {
    const { step, fraction, ...rest } = stage;
    if ((step === undefined) === (fraction === undefined))
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'give step (an optimizer step) or fraction (a share of the run), not both' });
    if (step !== undefined && (!Number.isInteger(step) || step < 1))
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'must be an integer >= 1' });
    if (fraction !== undefined && !(fraction > 0 && fraction < 1))
      ctx.addIssue({ code: 'custom', path: ['fraction'], message: 'must be a share of the run strictly between 0 and 1' });
    const growth: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (!LEVER_KEYS.includes(key)) growth[key] = value;
      else {
        const issue = leverIssue(key as keyof StageLevers, value);
        if (issue) ctx.addIssue({ code: 'custom', path: [key], message: issue });
      }
    }
    try {
      if ('logger' in growth) throw new Error('a stage takes no logger');
      resolveGrowth(growth as GrowthOptions);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

function leverIssue(key: keyof StageLevers, value: unknown): string | null {
  if (value === undefined) return null;
  if (key === 'warmup') return Number.isInteger(value) && (value as number) >= 0 ? null : 'must be an integer >= 0';
  if (key === 'decay') return Number.isInteger(value) && (value as number) >= 1 ? null : 'must be an integer >= 1';
  if (key === 'lr') return typeof value === 'number' && value > 0 && Number.isFinite(value) ? null : 'must be a rate above 0';
  if (key === 'moments') return (MOMENT_MODES as readonly unknown[]).includes(value) ? null : `must be ${MOMENT_MODES.join(' or ')}`;
  return typeof value === 'boolean' ? null : 'must be true or false';
}

/** The stage keys as parseGrowthText's extra keys. */
const EXTRA_KEYS: Record<string, FieldValue> = Object.fromEntries(STAGE_FIELDS.map((f) => [f.key, f.value]));

/** `STEP:` or `F%:` then init's growth text and the stage keys: the grammar, for hints. */
export const GROW_STAGE_HINT = `STEP (or N%):${GROWTH_TEXT_HINT},${STAGE_FIELDS.map((f) => (f.arg === null ? f.key : `${f.key}=${f.arg}`)).join(',')}`;

/**
 * `STEP:key=value,...` or `N%:key=value,...` -> a stage: `600:width=2`, `25%:width=2,moments=carry,warmup=0`,
 * `1200:depth=2,placement=stack`. The keys are init's growth text (parseGrowthText) plus STAGE_FIELDS.
 * Throws naming what is wrong.
 */
export function parseGrowStage(text: string): GrowStage {
  const hint = `write ${GROW_STAGE_HINT} (only the keys you need)`;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*:(.*)$/.exec(text);
  if (!m) throw new Error(`--grow-at "${text}" does not start with a step (or a share of the run, 25%); ${hint}`);
  let parsed;
  try {
    parsed = parseGrowthText(m[3]!, EXTRA_KEYS);
    resolveGrowth(parsed.options);
  } catch (e) {
    throw new Error(`--grow-at "${text}": ${(e as Error).message}`);
  }
  const when = Number(m[1]);
  if (m[2] === '%' ? !(when > 0 && when < 100) : !Number.isInteger(when) || when < 1)
    throw new Error(
      `--grow-at "${text}": ${m[2] === '%' ? 'a share of the run must lie strictly between 0% and 100%' : 'the step must be a whole number >= 1'}`,
    );
  const levers: StageLevers = {};
  for (const f of STAGE_FIELDS) {
    const v = parsed.extra[f.key];
    if (v === undefined) continue;
    if (f.key === 'lr' && !((v as number) > 0)) throw new Error(`--grow-at "${text}": lr must be a rate above 0 (got ${String(v)})`);
    (levers as Record<string, unknown>)[f.field] = v;
  }
  const at: StageWhen = m[2] === '%' ? { fraction: when / 100 } : { step: when };
  return { ...at, ...parsed.options, ...levers };
}

/** A stage's growth options alone (its when and levers taken off). */
export function stageGrowth(stage: GrowStage): Omit<GrowthOptions, 'logger'> {
  const growth: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stage))
    if (key !== 'step' && key !== 'fraction' && !LEVER_KEYS.includes(key)) growth[key] = value;
  return growth as Omit<GrowthOptions, 'logger'>;
}

/** The step a stage grows after in a run of `steps`: its step, or its share of the run rounded. */
export function stageStep(stage: GrowStage, steps: number): number {
  return stage.step ?? Math.max(1, Math.round(stage.fraction! * steps));
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
  /** AdamW's moments after the growth ('zero' for the first stage). */
  moments: MomentMode;
  /** The stage's peak rate (the run's lr unless the stage says otherwise). */
  lr: number;
  /** Steps of the faster cosine decay after the growth; null: the run's schedule. */
  decay: number | null;
  /** muP's per-width rate for the stage's linear weights. */
  mup: boolean;
}

/**
 * Every stage's model, planned from the initial model by init's planGrowth: stage k > 0 grows stage k-1's
 * model with its options, seeded by the run's seed + k (unless it names a seed) so two stages and two
 * seeds draw differently; a stage given as a share of the run grows after that share of `steps`. Throws
 * when the steps do not increase, leave no step to train, a growth cannot be made, or a stage carries AdamW's
 * moments through a growth that cannot carry them (a rotation).
 */
export function planStages(
  model: ModelConfig,
  stages: readonly GrowStage[],
  run: { seed: number; steps: number; seqLen: number; warmup: number; lr?: number },
): RunStage[] {
  const { seed, steps, seqLen } = run;
  const lr = run.lr ?? 1;
  const first: RunStage = { ...stage(0, model, null, null, seqLen, run.warmup), moments: 'zero', lr, decay: null, mup: false };
  const out: RunStage[] = [first];
  stages.forEach((s, i) => {
    const prev = out.at(-1)!;
    const step = stageStep(s, steps);
    if (step <= prev.fromStep)
      throw new Error(`growAt: stage steps must increase (step ${step} comes after step ${prev.fromStep}); sort the stages`);
    if (step >= steps) throw new Error(`growAt: a growth after step ${step} leaves nothing to train in a run of ${steps} steps`);
    const grow = stageGrowth(s);
    let planned;
    try {
      planned = planGrowth(prev.model, { ...grow, seed: grow.seed ?? (seed + i + 1) >>> 0 }, { seqLen });
    } catch (e) {
      throw new Error(`growAt: the growth after step ${step}: ${(e as Error).message}`);
    }
    const refusal = s.moments === 'carry' ? momentsCarryRefusal(planned) : null;
    if (refusal) throw new Error(`growAt: the growth after step ${step}: ${refusal}`);
    out.push({
      ...stage(step, planned.config, planned.clone, planned.spec, seqLen, s.warmup ?? run.warmup),
      moments: s.moments ?? 'zero',
      lr: s.lr ?? lr,
      decay: s.decay ?? null,
      mup: s.mup ?? false,
    });
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
): Omit<RunStage, 'moments' | 'lr' | 'decay' | 'mup'> {
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
