// Config fields several families share: the activation's name, the rotary settings, the dropout rates.
// Not one family's layout (families/*.ts) and not the field reader itself (hf-fields.ts).

import type { Activation } from '@hyperclone/core';
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

export interface RopeSettings {
  theta: number;
  /** The fraction of each head that rotates (GPT-NeoX's rotary_pct, v5's partial_rotary_factor). */
  partial: number;
}

/**
 * Rotary settings from Transformers 4's fields (`rope_theta` or GPT-NeoX's `rotary_emb_base`,
 * `rotary_pct`, `rope_scaling`) or 5's `rope_parameters`. Only the default rope is supported.
 */
export function ropeFrom(
  f: HfFields,
  thetaField: string,
  thetaDefault: number,
  partialField: string | null,
  partialDefault = 1,
): RopeSettings {
  for (const field of ['rope_scaling', 'rope_parameters']) {
    const p = f.object(field);
    const type = p?.['rope_type'] ?? p?.['type'] ?? 'default';
    if (type !== 'default')
      f.refuse(
        field,
        `asks for "${String(type)}" rope scaling; only the default rope is supported (no linear, dynamic, yarn, llama3 or longrope)`,
      );
  }
  const params = f.object('rope_parameters') ?? {};
  const theta = typeof params['rope_theta'] === 'number' ? params['rope_theta'] : f.num(thetaField, thetaDefault);
  const fromParams = params['partial_rotary_factor'];
  const partial = partialField && f.has(partialField) ? f.num(partialField) : typeof fromParams === 'number' ? fromParams : partialDefault;
  return { theta, partial };
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
