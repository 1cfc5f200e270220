// readHuggingFace: a Hugging Face model directory (config.json + safetensors or pytorch_model.bin) as our config and state dict.
// Not the checkpoint writer (core's saveCheckpoint) and not an initializer (init's fromHuggingFace wraps this).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig, StateDict } from '@hyperclone/core';
import { paramSpec, validateConfig } from '@hyperclone/core';
import { familyFor } from './families.js';
import type { Family, FamilyName, ImportedConfig } from './family.js';
import { HfFields, HfUnsupportedError } from './hf-fields.js';
import { openHfWeights, type HfWeights } from './hf-weights.js';
import { fromHf } from './tensor-binding.js';
import { readTokenizerFiles } from './tokenizer-files.js';

/** Token ids a config.json carries, kept so export can write them back. */
export const TOKEN_ID_FIELDS = ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const;

export interface HfModel {
  config: ModelConfig;
  weights: StateDict;
  family: FamilyName;
  architecture: string;
  /** Provenance for the checkpoint's origin: {kind: 'huggingface', dir, family, architecture, dtypes, tokenIds}. */
  origin: Record<string, unknown>;
  /** Tokenizer and generation files found beside the weights. */
  files: Record<string, Uint8Array>;
  notes: string[];
}

/** True when `dir` holds a Hugging Face config.json (model_type or architectures) rather than one of ours. */
export function isHuggingFaceDir(dir: string): boolean {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return false;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return raw['format'] !== 'hyperclone-checkpoint' && ('model_type' in raw || 'architectures' in raw);
  } catch {
    return false;
  }
}

/** `dir`'s config.json as an object, with its path for messages; a missing or unparsable file is refused. */
export function readHfConfig(dir: string): { raw: Record<string, unknown>; where: string } {
  const where = join(dir, 'config.json');
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  if (!existsSync(where)) throw new Error(`${dir} has no config.json; a Hugging Face model directory needs one`);
  try {
    const raw = JSON.parse(readFileSync(where, 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object');
    return { raw: raw as Record<string, unknown>, where };
  } catch (e) {
    throw new Error(`${where} is not a valid config.json: ${(e as Error).message}`);
  }
}

function readFamilyConfig(dir: string): ImportedConfig & { raw: Record<string, unknown>; family: Family; architecture: string } {
  const { raw, where } = readHfConfig(dir);
  const { family, architecture } = familyFor(raw, where);
  const fields = new HfFields(raw, where, `${family.label} (${architecture})`);
  const { config, notes } = family.toConfig(fields, architecture);
  try {
    validateConfig(config);
  } catch (e) {
    throw new HfUnsupportedError(`${where}: ${(e as Error).message}`);
  }
  return { config, notes, raw, family, architecture };
}

/** The model config a Hugging Face directory imports as, from its config.json alone (no weights read). */
export function readHfModelConfig(dir: string): ModelConfig {
  return readFamilyConfig(dir).config;
}

/** Reads `dir`'s config.json, picks the family, and reads every weight through its bindings. */
export async function readHuggingFace(dir: string): Promise<HfModel> {
  const { config, notes, raw, family, architecture } = readFamilyConfig(dir);
  const weights = await openHfWeights(dir);
  try {
    const stateDict = readWeights(family, config, weights, dir, notes);
    const tokenIds = Object.fromEntries(TOKEN_ID_FIELDS.filter((k) => k in raw).map((k) => [k, raw[k]]));
    const origin = { kind: 'huggingface', dir, family: family.name, architecture, dtypes: weights.dtypes(), tokenIds };
    return { config, weights: stateDict, family: family.name, architecture, origin, files: readTokenizerFiles(dir), notes };
  } finally {
    weights.close();
  }
}

/** Every binding's tensor read, shape-checked and split into ours; unknown tensors refused. */
function readWeights(family: Family, config: ModelConfig, w: HfWeights, dir: string, notes: string[]): StateDict {
  const present = new Set(w.names());
  const prefix = family.prefixes.find((p) => present.has(`${p}${family.bindings(config)[0]!.hf}`)) ?? family.prefixes[0]!;
  const bindings = family.bindings(config).map((b) => ({ ...b, hf: b.base ? `${prefix}${b.hf}` : b.hf }));
  const spec = new Map(paramSpec(config).map((s) => [s.name, s.shape]));
  const expected = new Set(bindings.map((b) => b.hf));
  const missing = bindings.filter((b) => !present.has(b.hf)).map((b) => b.hf);
  if (missing.length > 0)
    throw new Error(
      `${dir}: the weights lack ${missing.length} tensor(s) a ${family.label} model with this config has: ` +
        `${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}`,
    );
  const unexpected: string[] = [];
  for (const name of present) {
    if (expected.has(name)) continue;
    const local = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (family.buffers.some((re) => re.test(local))) continue;
    if (config.tieEmbeddings && (name === 'lm_head.weight' || name === 'embed_out.weight')) {
      notes.push(`${name} is in the file but the head is tied to the embedding (tie_word_embeddings): it was not read`);
      continue;
    }
    unexpected.push(name);
  }
  if (unexpected.length > 0)
    throw new HfUnsupportedError(
      `${dir}: tensor(s) that are not part of a ${family.label} model with this config: ${unexpected.slice(0, 4).join(', ')}` +
        `${unexpected.length > 4 ? ', ...' : ''} (a feature hyperclone does not compute?)`,
    );
  const out: StateDict = new Map();
  for (const b of bindings) {
    const parts = fromHf(
      b,
      w.read(b.hf),
      b.ours.map((n) => spec.get(n)!),
      w.fileOf(b.hf),
    );
    b.ours.forEach((n, i) => out.set(n, parts[i]!));
  }
  return new Map(paramSpec(config).map((s) => [s.name, out.get(s.name)!]));
}
