// Config fields several families share, read and written: the width and its heads, the sizes Llama-style configs name alike,
// the activation, the rotary settings (and how many dimensions of a head they turn), the dropout rates, export's closing fields.
// Not one family's layout (families/*.ts) and not the field reader itself (hf-fields.ts).

import type { Activation, ModelConfig, RopeScaling } from '@hyperclone/core';
import { activationOf } from '@hyperclone/core';
import type { ExportContext } from './family.js';
import type { HfFields } from './hf-fields.js';

/** Hugging Face's ACT2FN names we compute exactly. gelu_fast is the tanh form written differently. */
const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu-exact',
  gelu_python: 'gelu-exact',
  gelu_new: 'gelu-tanh',
  gelu_pytorch_tanh: 'gelu-tanh',
  gelu_fast: 'gelu-tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

/** What export writes for each activation (names every Transformers release knows). */
export const ACTIVATION_NAMES: Readonly<Record<Activation, string>> = {
  'gelu-exact': 'gelu',
  'gelu-tanh': 'gelu_new',
  relu: 'relu',
  silu: 'silu',
};

export function activationFrom(f: HfFields, field: string, fallback: string): Activation {
  const name = f.str(field, fallback);
  const a = ACTIVATIONS[name];
  if (!a) f.refuse(field, `is not an activation hyperclone computes (it does ${Object.keys(ACTIVATIONS).join(', ')})`);
  return a;
}

/**
 * The activation from `field` onto `config`, left out where it is what core assumes for the config's MLP (activationOf:
 * silu for a gated one, gelu-tanh otherwise). For a config that does not set an activation yet.
 */
export function setActivation(config: ModelConfig, f: HfFields, field: string, fallback: string): void {
  const activation = activationFrom(f, field, fallback);
  if (activation !== activationOf(config)) config.activation = activation;
}

export interface RopeSettings {
  theta: number;
  /** The fraction of each head that rotates (GPT-NeoX's rotary_pct, v5's partial_rotary_factor). */
  partial: number;
  /** The rotary scaling, every field resolved (core's rope-scaling.ts computes the frequencies). */
  scaling?: RopeScaling;
}

/**
 * Rotary settings from Transformers 4's fields (`rope_theta` or GPT-NeoX's `rotary_emb_base`,
 * `rotary_pct`, `rope_scaling`) or 5's `rope_parameters`. `scalings`: the scaling types this family's
 * transformers code computes as core does (refused by name otherwise).
 */
export function ropeFrom(
  f: HfFields,
  thetaField: string,
  thetaDefault: number,
  partialField: string | null,
  partialDefault = 1,
  scalings: readonly RopeScaling['type'][] = ['linear', 'dynamic', 'llama3', 'yarn'],
  aliases: Readonly<Record<string, RopeScaling['type']>> = {},
): RopeSettings {
  const params = f.object('rope_parameters') ?? {};
  const theta = typeof params['rope_theta'] === 'number' ? params['rope_theta'] : f.num(thetaField, thetaDefault);
  const fromParams = params['partial_rotary_factor'];
  const partial = partialField && f.has(partialField) ? f.num(partialField) : typeof fromParams === 'number' ? fromParams : partialDefault;
  let scaling: RopeScaling | undefined;
  for (const field of ['rope_scaling', 'rope_parameters']) {
    const p = f.object(field);
    const named = String(p?.['rope_type'] ?? p?.['type'] ?? 'default');
    const type = aliases[named] ?? named;
    if (type === 'default') continue;
    if (!(scalings as readonly string[]).includes(type))
      f.refuse(
        field,
        `asks for "${type}" rope scaling; ${f.family} supports ${['default', ...scalings].join(', ')} here${ROPE_WHY[type] ?? ''}`,
      );
    scaling = ropeScalingFrom(f, field, type as RopeScaling['type'], p!);
  }
  return scaling ? { theta, partial, scaling } : { theta, partial };
}

/** Why a rope scaling transformers knows is refused where it is. */
const ROPE_WHY: Readonly<Record<string, string>> = {
  longrope: ' (transformers 4.49 switches to long_factor past original_max_position_embeddings only in Phi-3)',
};

/** One rope_scaling object read into core's RopeScaling, with transformers' defaults. */
function ropeScalingFrom(f: HfFields, field: string, type: RopeScaling['type'], p: Record<string, unknown>): RopeScaling {
  const num = (key: string, fallback?: number): number => {
    const v = p[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) f.refuse(field, `needs a number "${key}" for "${type}" rope scaling`);
    return v;
  };
  const factors = (key: string): number[] => {
    const v = p[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) f.refuse(field, `needs a list of numbers "${key}" for longrope`);
    return v as number[];
  };
  const contextLength = f.int('max_position_embeddings');
  switch (type) {
    case 'linear':
    case 'dynamic':
      return { type, factor: num('factor') };
    case 'llama3':
      return {
        type,
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalContextLength: num('original_max_position_embeddings'),
      };
    case 'yarn': {
      const original = p['original_max_position_embeddings'];
      if (original !== undefined && original !== null && original !== contextLength)
        f.refuse(
          field,
          `gives yarn an original_max_position_embeddings apart from max_position_embeddings ${contextLength}, which transformers versions read differently`,
        );
      const factor = num('factor');
      return {
        type,
        factor,
        attentionFactor: num('attention_factor', 0.1 * Math.log(factor) + 1),
        betaFast: num('beta_fast', 32),
        betaSlow: num('beta_slow', 1),
        originalContextLength: contextLength,
      };
    }
    case 'longrope': {
      const original = f.has('original_max_position_embeddings') ? f.int('original_max_position_embeddings') : null;
      const factor = original !== null ? contextLength / original : num('factor', 1);
      const attentionFactor = num(
        'attention_factor',
        factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original ?? contextLength)),
      );
      return {
        type,
        shortFactor: factors('short_factor'),
        longFactor: factors('long_factor'),
        attentionFactor,
        originalContextLength: original ?? contextLength,
      };
    }
  }
}

/**
 * rope_scaling (Transformers 4) and rope_parameters (5) for a config's rope: null and the default, or the
 * scaling in transformers' own keys.
 */
export function ropeScalingFields(
  theta: number,
  scaling: RopeScaling | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const params = scaling ? scalingParams(scaling) : null;
  return {
    rope_theta: float(theta),
    rope_scaling: params,
    rope_parameters: { ...(params ?? { rope_type: 'default' }), rope_theta: float(theta), ...extra },
  };
}

function scalingParams(s: RopeScaling): Record<string, unknown> {
  switch (s.type) {
    case 'linear':
    case 'dynamic':
      return { rope_type: s.type, factor: float(s.factor) };
    case 'llama3':
      return {
        rope_type: s.type,
        factor: float(s.factor),
        low_freq_factor: float(s.lowFreqFactor),
        high_freq_factor: float(s.highFreqFactor),
        original_max_position_embeddings: s.originalContextLength,
      };
    case 'yarn':
      return {
        rope_type: s.type,
        factor: float(s.factor),
        attention_factor: float(s.attentionFactor),
        beta_fast: float(s.betaFast),
        beta_slow: float(s.betaSlow),
      };
    case 'longrope':
      return { type: s.type, short_factor: s.shortFactor.map(float), long_factor: s.longFactor.map(float) };
  }
}

/** A number Hugging Face's config classes type as float: written with a decimal point even when whole (10000.0). */
export class HfFloat {
  constructor(readonly value: number) {}
}
export const float = (value: number): HfFloat => new HfFloat(value);

/** config.json text: HfFloat values keep their decimal point, as Python's json writes them. */
export function hfConfigJson(config: Record<string, unknown>): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    config,
    (_key, v: unknown) => {
      if (!(v instanceof HfFloat)) return v;
      marks.push(Number.isInteger(v.value) ? `${v.value}.0` : JSON.stringify(v.value));
      return `\u0000float${marks.length - 1}`;
    },
    2,
  );
  return text.replace(/"\\u0000float(\d+)"/g, (_m, i: string) => marks[Number(i)]!) + '\n';
}

/** The largest of the dropout rates a family has: ours is one rate for embeddings, attention and residuals. */
export function dropoutFrom(f: HfFields, fields: Readonly<Record<string, number>>): number {
  return Math.max(...Object.entries(fields).map(([name, fallback]) => f.num(name, fallback)));
}

/** Export's side of dropoutFrom: our one rate written to each of the family's dropout fields, in their order. */
export function dropoutFields(fields: Readonly<Record<string, number>>, rate: number): Record<string, HfFloat> {
  return Object.fromEntries(Object.keys(fields).map((name) => [name, float(rate)]));
}

/** The defaults of the sizes llamaStyleSizes reads: its config class's. */
export interface SizeDefaults {
  vocab: number;
  positions: number;
  layers: number;
  ffn: number;
}

/**
 * Our config's sizes from the fields LlamaConfig, OlmoConfig, PhiConfig and Phi3Config name alike, read in our keys' order:
 * vocab_size, max_position_embeddings, num_hidden_layers, num_key_value_heads (absent: H, every head its own k and v),
 * head_dim where `D` says so (absent: C / H rounded down), intermediate_size. C, H and any other D as the family read them.
 */
export function llamaStyleSizes(
  f: HfFields,
  { C, H, D }: { C: number; H: number; D: number | 'head_dim' },
  d: SizeDefaults,
): Pick<ModelConfig, 'vocabSize' | 'contextLength' | 'nLayer' | 'dModel' | 'nHead' | 'nKvHead' | 'headDim' | 'dFF'> {
  return {
    vocabSize: f.int('vocab_size', d.vocab),
    contextLength: f.int('max_position_embeddings', d.positions),
    nLayer: f.int('num_hidden_layers', d.layers),
    dModel: C,
    nHead: H,
    nKvHead: f.intOrNull('num_key_value_heads') ?? H,
    headDim: D === 'head_dim' ? (f.intOrNull('head_dim') ?? Math.floor(C / H)) : D,
    dFF: f.int('intermediate_size', d.ffn),
  };
}

/**
 * The sizes LlamaConfig, GemmaConfig, OlmoConfig, PhiConfig and Phi3Config name alike, as export writes them, in this order:
 * vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads.
 */
export function llamaStyleSizeFields(c: ModelConfig): Record<string, unknown> {
  return {
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKvHead,
  };
}

/**
 * What every family but GPT-2 (use_cache first) writes after its own fields, in this order: tie_word_embeddings, use_cache
 * and the token ids an import carried. An architecture's extras may follow (Llama's attention_bias, Gemma 2's soft-caps).
 */
export function tieAndTokenFields(c: ModelConfig, context: ExportContext): Record<string, unknown> {
  return { tie_word_embeddings: c.tieEmbeddings, use_cache: true, ...context.tokenIds };
}

/** The hidden size and the head count from their fields, refused unless the heads split it: C, H and D = C / H. */
export function widthAndHeads(
  f: HfFields,
  hidden: readonly [field: string, fallback: number],
  heads: readonly [field: string, fallback: number],
): { C: number; H: number; D: number } {
  const C = f.int(hidden[0], hidden[1]);
  const H = f.int(heads[0], heads[1]);
  if (H === 0 || C % H !== 0) f.refuse(heads[0], `must divide ${hidden[0]} ${C}`);
  return { C, H, D: C / H };
}

/** The rotary dimensions of a head as transformers counts them, int(headDim · partial); refused unless even, 2+ and at most headDim. */
export function partialRopeDims(f: HfFields, field: string, headDim: number, partial: number): number {
  const dims = Math.floor(headDim * partial);
  if (dims < 2 || dims % 2 !== 0 || dims > headDim)
    f.refuse(field, `gives ${dims} rotary dimensions of ${headDim}; they must be even and at least 2`);
  return dims;
}

/**
 * GPT-NeoX's rotary_pct, Phi's and Phi-3's partial_rotary_factor, for `dims` rotary dimensions of a head: partialRopeDims
 * the other way, such that Python's int(head_size * pct) gives exactly `dims` (10/24 alone would give 9).
 */
export function rotaryPct(dims: number, headDim: number): number {
  let pct = dims / headDim;
  while (Math.floor(headDim * pct) < dims) pct += Number.EPSILON * pct;
  return pct;
}
