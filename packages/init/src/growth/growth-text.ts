// The text forms of a growth, one parser over GROWTH_FIELDS: `k=v` text (`--grow-at STEP:width=2,rotate`,
// the benchmark's --stages), command-line flags (`hyperclone clone/grow --width 2 --rotate`), the
// benchmark's arms (`noisy-symmetric+rotate+stack`), and the way back (growthText). Not the defaults or the
// checks across fields (growth-spec.ts's resolveGrowth).

import { GROWTH_FIELDS, growthDefaults, type FieldValue, type GrowthField, type GrowthOptions, type GrowthSpec } from './growth-spec.js';
import { CLONE_VARIANTS } from '../clone-info.js';

/** The `k=v` grammar, for hints: every key and its value. */
export const GROWTH_TEXT_HINT = GROWTH_FIELDS.map((f) => (f.arg === null ? f.key : `${f.key}=${f.arg}`)).join(',');

/**
 * One value of a field from its text (a switch: true, or 'true'/'false'); `name` is how messages call it
 * ('--width' for a flag, 'width' inside text). Throws `NAME must be ... (got "VALUE")`.
 */
export function fieldValue(value: FieldValue, raw: string | boolean, name: string): number | string | boolean {
  if (value.kind === 'switch') {
    if (raw === true || raw === 'true') return true;
    if (raw === 'false') return false;
    throw new Error(`${name} takes no value, or true/false (got "${String(raw)}")`);
  }
  if (typeof raw !== 'string' || raw === '') throw new Error(`${name} needs a value`);
  if (value.kind === 'choice') {
    if (value.choices.includes(raw)) return raw;
    const words = value.choices.length > 1 ? `${value.choices.slice(0, -1).join(', ')} or ${value.choices.at(-1)!}` : value.choices[0]!;
    throw new Error(`${name} must be ${words} (got "${raw}")`);
  }
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (value.kind === 'number') {
    if (!Number.isFinite(n)) throw new Error(`${name} must be a number (got "${raw}")`);
    return n;
  }
  if (!Number.isInteger(n) || n < value.min) throw new Error(`${name} must be an integer >= ${value.min} (got "${raw}")`);
  return n;
}

/** `width=2,depth=2,placement=stack,rotate` as growth options, plus the values of `extra` keys the caller owns (the trainer's warmup). */
export function parseGrowthText(
  text: string,
  extra: Record<string, FieldValue> = {},
): { options: GrowthOptions; extra: Record<string, number | string | boolean> } {
  const options: Record<string, unknown> = {};
  const own: Record<string, number | string | boolean> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? true : part.slice(eq + 1).trim();
    const field = GROWTH_FIELDS.find((f) => f.key === key);
    const value = field?.value ?? extra[key];
    if (!value)
      throw new Error(
        `unknown key "${key}"; write ${GROWTH_TEXT_HINT}${Object.keys(extra)
          .map((k) => `,${k}=...`)
          .join('')}`,
      );
    if (raw === true && value.kind !== 'switch') throw new Error(`${key} needs a value (${key}=...)`);
    if (field) options[field.field] = fieldValue(value, raw, key);
    else own[key] = fieldValue(value, raw, key);
  }
  return { options: options as GrowthOptions, extra: own };
}

/** The growth a command's flags give (parseArgs values by key: `width`, `kv-heads`, `rotate`, ...), for the fields given. */
export function growthFromFlags(values: Readonly<Record<string, unknown>>, fields: readonly GrowthField[] = GROWTH_FIELDS): GrowthOptions {
  const options: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = values[f.key];
    if (raw === undefined || raw === false) continue;
    options[f.field] = fieldValue(f.value, raw as string | boolean, `--${f.key}`);
  }
  return options as GrowthOptions;
}

/** The fields a command offers: `clone` the width and rotation ones, `grow` every one. */
export function growthFlagFields(command: 'clone' | 'grow'): GrowthField[] {
  return GROWTH_FIELDS.filter((f) => command === 'grow' || f.step !== 'depth');
}

/** `spec` as `k=v` text: the width, then every field that is not its default ('width=2,variant=noisy-symmetric,rotate'). */
export function growthText(spec: GrowthSpec): string {
  const defaults = growthDefaults(spec);
  const parts: string[] = [];
  for (const f of GROWTH_FIELDS) {
    const v = spec[f.field];
    if (f.field !== 'width' && JSON.stringify(v) === JSON.stringify(defaults[f.field])) continue;
    parts.push(f.value.kind === 'switch' ? f.key : `${f.key}=${String(v)}`);
  }
  return parts.join(',');
}

/** What may follow an arm's variant: the rotation, where new blocks go, and what they are. */
export const ARM_MODIFIERS = ['rotate', 'interleave', 'stack', 'identity', 'copy'] as const;
export type ArmModifier = (typeof ARM_MODIFIERS)[number];

export const GROWTH_ARM_HELP =
  `a variant (${CLONE_VARIANTS.join(', ')}), optionally with +rotate (the residual stream rotated), and with a depth > 1 ` +
  '+interleave or +stack (where the new blocks go; default interleave) and +identity or +copy (new identity blocks, default, or G_stack copies of the trained blocks)';

/**
 * A benchmark arm (`noisy-symmetric+rotate+stack+copy`) as the growth fields it sets; `depth` is the
 * benchmark's depth multiplier, which the placement modifiers need.
 */
export function parseGrowthArm(arm: string, depth: number): Pick<GrowthOptions, 'variant' | 'rotate' | 'placement' | 'newBlocks'> {
  const [variant, ...mods] = arm.split('+').map((s) => s.trim());
  if (!(CLONE_VARIANTS as readonly string[]).includes(variant ?? ''))
    throw new Error(`arm "${arm}": unknown variant "${variant ?? ''}"; an arm is ${GROWTH_ARM_HELP}`);
  const o: Pick<GrowthOptions, 'variant' | 'rotate' | 'placement' | 'newBlocks'> = { variant: variant as GrowthSpec['variant'] };
  for (const m of mods) {
    if (!(ARM_MODIFIERS as readonly string[]).includes(m))
      throw new Error(`arm "${arm}": unknown modifier "${m}"; an arm is ${GROWTH_ARM_HELP}`);
    const mod = m as ArmModifier;
    if (mod === 'rotate') o.rotate = true;
    else if (depth <= 1) throw new Error(`arm "${arm}": +${mod} places new blocks, which needs a depth growth (--depth 2 or more)`);
    else if (mod === 'interleave' || mod === 'stack') o.placement = mod;
    else o.newBlocks = mod;
  }
  return o;
}
