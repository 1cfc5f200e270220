// GrowthSpec: everything one growth of a model can say (width, FFN, heads, kv heads, depth and where the
// new blocks go and how they start, the clone variant and its noise, the rotation, tying, the seed), its
// fields as one table, and resolveGrowth, which fills the defaults and refuses what cannot be made.
// Not the text forms (growth-text.ts), the plan (plan-growth.ts) or the weights (apply-growth.ts).

import type { CloneInfo, Logger } from '@hyperclone/core';
import { nearestName } from '@hyperclone/core';
import { CLONE_VARIANTS, type CloneVariant } from '../clone-info.js';
import { NEW_BLOCKS, PLACEMENTS, type NewBlocks, type Placement } from '../depth-growth.js';

export const TIE_MODES = ['keep', 'untie'] as const;
export type TieMode = (typeof TIE_MODES)[number];

/** One growth, resolved: every field has its value (the record a run and a checkpoint keep). */
export interface GrowthSpec {
  /** n_e: dModel times this, an integer >= 1. */
  width: number;
  /** n_f: dFF times this (default: width). */
  ffn: number;
  /** Query heads times this, head_dim fixed (default: width). */
  heads: number;
  /** Key/value heads times this; null (default): as the query heads, except that a single (MQA) kv head stays single. */
  kvHeads: number | null;
  /** nLayer times this (default 1): new blocks after the width clone. */
  depth: number;
  /** Where the new blocks go (depth > 1): 'interleave' (default) or 'stack'. */
  placement: Placement;
  /** How new blocks start (depth > 1): 'identity' (default: zero output projections, the function is kept) or 'copy' (G_stack). */
  newBlocks: NewBlocks;
  /** 'symmetric' (default) | 'noisy-symmetric' | 'diagonal' | 'noisy-diagonal'. */
  variant: CloneVariant;
  /** The paired noise's signal-to-noise ratio in dB: 10 for the noisy variants by default, null for the others. */
  snrDb: number | null;
  /** A tied source: 'keep' (default; logitScale / width) or 'untie' (own head; the default with rotate). */
  tie: TieMode;
  /** Rotate the residual stream last by a random orthogonal matrix (the norms folded, a tied source untied). */
  rotate: boolean;
  /** Seeds the noise, the new blocks and the rotation, one stream each (default 0). */
  seed: number;
}

/** The library's form: any fields (the rest take their defaults), and a logger for the diagonal fallback's warning. */
export type GrowthOptions = Partial<GrowthSpec> & { logger?: Logger };

export const DEFAULT_SNR_DB = 10;

/** A field's value: a whole number of at least min, a number, one of a few words, or a switch. */
export type FieldValue =
  { kind: 'int'; min: number } | { kind: 'number' } | { kind: 'choice'; choices: readonly string[] } | { kind: 'switch' };

/** One field of the spec as every text form names it: its key in `k=v` text (the flag is `--key`), value, help and default. */
export interface GrowthField {
  field: keyof GrowthSpec;
  key: string;
  value: FieldValue;
  /** The placeholder of its value in usage lines ('N'); null for a switch. */
  arg: string | null;
  help: string;
  defaultText: string;
  /** Which growth step reads it: `hyperclone clone` takes the width and rotation fields, `grow` all of them. */
  step: 'width' | 'depth' | 'rotate' | 'all';
}

const int = (min: number): FieldValue => ({ kind: 'int', min });
const choice = (choices: readonly string[]): FieldValue => ({ kind: 'choice', choices });

/** Every field, in the order usage lines show them. A new kind of growth adds its fields here and its step to growth-steps.ts. */
export const GROWTH_FIELDS: readonly GrowthField[] = [
  {
    field: 'width',
    key: 'width',
    value: int(1),
    arg: 'N',
    step: 'width',
    defaultText: '1',
    help: 'n_e: dModel and the heads times N (head_dim fixed)',
  },
  { field: 'ffn', key: 'ffn', value: int(1), arg: 'N', step: 'width', defaultText: 'width', help: 'n_f: dFF times N' },
  {
    field: 'heads',
    key: 'heads',
    value: int(1),
    arg: 'N',
    step: 'width',
    defaultText: 'width',
    help: 'query heads times N (head_dim fixed)',
  },
  {
    field: 'kvHeads',
    key: 'kv-heads',
    value: int(1),
    arg: 'N',
    step: 'width',
    defaultText: 'heads (a single MQA kv head stays single)',
    help: 'key/value heads times N: the heads multiplier, or any for a single (MQA) kv head',
  },
  { field: 'depth', key: 'depth', value: int(1), arg: 'N', step: 'depth', defaultText: '1', help: 'nLayer times N' },
  {
    field: 'placement',
    key: 'placement',
    value: choice(PLACEMENTS),
    arg: PLACEMENTS.join('|'),
    step: 'depth',
    defaultText: 'interleave',
    help: 'where the new blocks go',
  },
  {
    field: 'newBlocks',
    key: 'new-blocks',
    value: choice(NEW_BLOCKS),
    arg: NEW_BLOCKS.join('|'),
    step: 'depth',
    defaultText: 'identity',
    help: 'new identity blocks (the function kept) or copies of the trained ones (G_stack)',
  },
  {
    field: 'variant',
    key: 'variant',
    value: choice(CLONE_VARIANTS),
    arg: 'V',
    step: 'width',
    defaultText: 'symmetric',
    help: CLONE_VARIANTS.join(', '),
  },
  {
    field: 'snrDb',
    key: 'snr-db',
    value: { kind: 'number' },
    arg: 'X',
    step: 'width',
    defaultText: `${DEFAULT_SNR_DB} (noisy variants)`,
    help: 'signal-to-noise ratio of the paired noise, in dB',
  },
  {
    field: 'tie',
    key: 'tie',
    value: choice(TIE_MODES),
    arg: TIE_MODES.join('|'),
    step: 'width',
    defaultText: 'keep (untie with rotate)',
    help: 'a tied source: stay tied, or get a head of its own',
  },
  {
    field: 'rotate',
    key: 'rotate',
    value: { kind: 'switch' },
    arg: null,
    step: 'rotate',
    defaultText: 'false',
    help: 'rotate the residual stream by a random orthogonal matrix',
  },
  {
    field: 'seed',
    key: 'seed',
    value: int(0),
    arg: 'S',
    step: 'all',
    defaultText: '0',
    help: 'seeds the noise, the new blocks and the rotation',
  },
];

const FIELD_NAMES = GROWTH_FIELDS.map((f) => f.field as string);

/** Fills the defaults and throws, naming the field and what to do, on anything that cannot give the growth. */
export function resolveGrowth(options: GrowthOptions): GrowthSpec {
  if (typeof options !== 'object' || options === null) throw new Error('a growth needs options, e.g. { width: 2 }');
  for (const key of Object.keys(options)) {
    if (key === 'logger' || FIELD_NAMES.includes(key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const near = nearestName(key, FIELD_NAMES);
    throw new Error(`unknown growth option "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the options are ${FIELD_NAMES.join(', ')}`);
  }
  const width = multiplier(options.width ?? 1, 'width');
  const variant = word(options.variant ?? 'symmetric', 'variant', CLONE_VARIANTS);
  const rotate = options.rotate ?? false;
  if (typeof rotate !== 'boolean') throw new Error(`hyperclone rotate must be true or false (got ${JSON.stringify(options.rotate)})`);
  const d = growthDefaults({ width, variant, rotate });
  const heads = options.heads === undefined ? d.heads : multiplier(options.heads, 'heads');
  const kvHeads = options.kvHeads === undefined || options.kvHeads === null ? d.kvHeads : multiplier(options.kvHeads, 'kvHeads');
  const ffn = options.ffn === undefined ? d.ffn : multiplier(options.ffn, 'ffn');
  const snrDb = noise(variant, options.snrDb, d.snrDb);
  const tie = word(options.tie ?? d.tie, 'tie', TIE_MODES, true);
  if (rotate && tie === 'keep')
    throw new Error(
      'hyperclone rotate unties a tied model (the embedding is rotated as E·Q, the head also takes the final norm\'s gain); drop tie "keep" or use "untie"',
    );
  const seed = options.seed ?? d.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`hyperclone seed must be an integer in [0, 2^32) (got ${String(seed)})`);
  return { width, ffn, heads, kvHeads, ...depthFields(options), variant, snrDb, tie, rotate, seed };
}

/** What each field is when not given, knowing the fields it depends on (ffn and heads follow width, noise the variant, tie the rotation). */
export function growthDefaults(o: Pick<GrowthSpec, 'width' | 'variant' | 'rotate'>): GrowthSpec {
  const noisy = o.variant === 'noisy-symmetric' || o.variant === 'noisy-diagonal';
  return {
    width: 1,
    ffn: o.width,
    heads: o.width,
    kvHeads: null,
    depth: 1,
    placement: 'interleave',
    newBlocks: 'identity',
    variant: 'symmetric',
    snrDb: noisy ? DEFAULT_SNR_DB : null,
    tie: o.rotate ? 'untie' : 'keep',
    rotate: false,
    seed: 0,
  };
}

/** True when the growth changes nothing: every multiplier 1 and no rotation. */
export function isIdentityGrowth(s: GrowthSpec): boolean {
  return s.width === 1 && s.ffn === 1 && s.heads === 1 && (s.kvHeads ?? 1) === 1 && s.depth === 1 && !s.rotate;
}

/** The spec a clone record describes (older records: heads as the width, kv heads by the default rule). */
export function growthOfClone(clone: CloneInfo): GrowthSpec {
  const rotate = clone.rotate ?? false;
  return resolveGrowth({
    width: clone.width,
    ffn: clone.ffn,
    heads: clone.heads ?? clone.width,
    kvHeads: clone.kvHeads ?? null,
    ...(clone.depth ? { depth: clone.depth.multiplier, placement: clone.depth.placement, newBlocks: clone.depth.newBlocks } : {}),
    variant: clone.variant,
    ...(clone.snrDb !== null ? { snrDb: clone.snrDb } : {}),
    tie: clone.tie ?? (rotate ? 'untie' : 'keep'), // an untied source: tie did not apply
    rotate,
    seed: clone.seed,
  });
}

function multiplier(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(
      `hyperclone ${name} must be an integer >= 1 (got ${String(value)}): HyperCloning preserves the function only for ` +
        'whole-number multipliers (LayerNorm statistics change otherwise); pick 2, 3, 4, ...',
    );
  }
  return value;
}

function word<T extends string>(value: unknown, name: string, choices: readonly T[], quoted = false): T {
  if ((choices as readonly unknown[]).includes(value)) return value as T;
  if (name === 'variant') throw new Error(`unknown hyperclone variant ${JSON.stringify(value)}; choose one of: ${choices.join(', ')}`);
  const shown = quoted ? choices.map((c) => JSON.stringify(c)) : choices;
  throw new Error(`hyperclone ${name} must be ${shown.join(' or ')} (got ${JSON.stringify(value)})`);
}

function noise(variant: CloneVariant, snrDb: number | null | undefined, fallback: number | null): number | null {
  if (fallback === null) {
    if (snrDb !== undefined && snrDb !== null)
      throw new Error(
        `hyperclone snrDb only applies to the noisy variants (got variant "${variant}"); use noisy-symmetric or noisy-diagonal, or drop snrDb`,
      );
    return null;
  }
  const value = snrDb ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`hyperclone snrDb must be a finite number of decibels (got ${String(snrDb)})`);
  return value;
}

function depthFields(options: GrowthOptions): Pick<GrowthSpec, 'depth' | 'placement' | 'newBlocks'> {
  const depth = options.depth ?? 1;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1)
    throw new Error(`hyperclone depth must be an integer >= 1, the nLayer multiplier (got ${String(options.depth)}); pick 2, 3, ...`);
  const placement = word(options.placement ?? 'interleave', 'placement', PLACEMENTS);
  const newBlocks = word(options.newBlocks ?? 'identity', 'newBlocks', NEW_BLOCKS);
  if (depth === 1 && (placement !== 'interleave' || newBlocks !== 'identity'))
    throw new Error('hyperclone placement and newBlocks only apply when depth > 1; pass a depth multiplier (2, 3, ...) or drop them');
  return { depth, placement, newBlocks };
}
