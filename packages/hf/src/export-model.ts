// writeHuggingFace: our config and state dict as a Hugging Face directory that from_pretrained loads with
// no missing or unexpected weights. Not a reader (import-model.ts); what HF cannot express is folded, and said.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig, StateDict, WriteDtype } from '@hyperclone/core';
import {
  checkWeights,
  headWeightName,
  hostTensor,
  paramSpec,
  validateConfig,
  writeDirAtomic,
  writeSafetensorsFile,
} from '@hyperclone/core';
import { FAMILIES, familyNamed } from './families.js';
import type { Family, FamilyName } from './family.js';
import { SINGLE_FILE } from './hf-weights.js';
import { hfConfigJson } from './common-fields.js';
import { toHf } from './tensor-binding.js';
import { TOKENIZER_FILES } from './tokenizer-files.js';

export type ExportDtype = 'float32' | 'bfloat16' | 'float16';
export const EXPORT_DTYPES: readonly ExportDtype[] = ['float32', 'bfloat16', 'float16'];
const FILE_DTYPE: Readonly<Record<ExportDtype, WriteDtype>> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

export interface ExportOptions {
  dtype?: ExportDtype;
  /** The family to write; default: the one the model was imported from, else the first that can hold it. */
  family?: FamilyName;
  /** The checkpoint's origin: where an import recorded its family, architecture and token ids. */
  origin?: Record<string, unknown>;
  /** Tokenizer and generation files to write beside the weights. */
  files?: Record<string, Uint8Array>;
}

export interface ExportResult {
  family: FamilyName;
  architecture: string;
  /** What was folded into the weights (a logit scale into the head, ...), one sentence each. */
  folds: string[];
  files: string[];
}

/** The import recorded in an origin chain (a clone's or a trained run's source), if any. */
export function importedFrom(origin: Record<string, unknown> | undefined): Record<string, unknown> | null {
  for (let o = origin; o; o = o['source'] as Record<string, unknown> | undefined) {
    if (o['kind'] === 'huggingface') return o;
  }
  return null;
}

/** The family that will hold `config`: asked for, imported from, or the first that can; else why none can. */
export function chooseFamily(config: ModelConfig, options: Pick<ExportOptions, 'family' | 'origin'>): Family {
  const folded = foldLogitScale(config, null).config;
  if (options.family) {
    const f = familyNamed(options.family);
    const why = f.cannotExpress(folded);
    if (why) throw new Error(`cannot export as ${f.label}: ${why}`);
    return f;
  }
  const imported = importedFrom(options.origin)?.['family'];
  const order = [...FAMILIES].sort((a, b) => Number(b.name === imported) - Number(a.name === imported));
  const f = order.find((x) => x.cannotExpress(folded) === null);
  if (!f)
    throw new Error(
      `no Hugging Face family can hold this model: ${FAMILIES.map((x) => `${x.label}: ${x.cannotExpress(folded)}`).join('; ')}`,
    );
  return f;
}

/**
 * Hugging Face has no logit scale. A scale other than 1 (a tied clone keeps its embedding and scales the
 * logits by 1/width) goes into an untied head: lm_head = scale · the head weight.
 */
export function foldLogitScale(
  config: ModelConfig,
  weights: StateDict | null,
): { config: ModelConfig; weights: StateDict | null; folds: string[] } {
  if (config.logitScale === 1) return { config, weights, folds: [] };
  const folded: ModelConfig = { ...config, tieEmbeddings: false, logitScale: 1 };
  const folds = [
    `logitScale ${config.logitScale} folded into ${config.tieEmbeddings ? 'an untied' : 'the'} lm_head (its weight times ${config.logitScale}), ` +
      'since Hugging Face models have no logit scale',
  ];
  if (!weights) return { config: folded, weights: null, folds };
  const head = weights.get(headWeightName(config))!;
  const scaled = Float32Array.from(head.data as Float32Array, (v) => v * config.logitScale);
  const out: StateDict = new Map();
  for (const s of paramSpec(folded)) out.set(s.name, s.name === 'lm_head.weight' ? hostTensor(head.shape, scaled) : weights.get(s.name)!);
  return { config: folded, weights: out, folds };
}

/** Writes `dir` atomically: config.json, model.safetensors (dtype as asked) and the travelling files. */
export async function writeHuggingFace(
  dir: string,
  config: ModelConfig,
  weights: StateDict,
  options: ExportOptions = {},
): Promise<ExportResult> {
  validateConfig(config);
  checkWeights(config, weights, 'the model to export');
  const dtype = options.dtype ?? 'float32';
  if (!FILE_DTYPE[dtype]) throw new Error(`dtype must be one of ${EXPORT_DTYPES.join(', ')} (got "${String(dtype)}")`);
  const family = chooseFamily(config, options);
  const { config: c, weights: w, folds } = foldLogitScale(config, weights);
  const imported = importedFrom(options.origin);
  const context = {
    architecture: (imported?.['architecture'] as string | undefined) ?? null,
    tokenIds: (imported?.['tokenIds'] as Record<string, number | number[] | null> | undefined) ?? {},
  };
  const { architecture, fields } = family.fromConfig(c, context);
  const hfConfig = {
    architectures: [architecture],
    model_type: Object.entries(family.architectures).find(([a]) => a === architecture)![1],
    ...fields,
    torch_dtype: dtype,
  };
  const files = Object.entries(options.files ?? {}).filter(([name]) => TOKENIZER_FILES.includes(name));
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'config.json'), hfConfigJson(hfConfig));
    writeSafetensorsFile(join(tmp, SINGLE_FILE), hfTensors(family, c, w!), { dtype: FILE_DTYPE[dtype], metadata: { format: 'pt' } });
    for (const [name, bytes] of files) await writeFile(join(tmp, name), bytes);
  });
  return { family: family.name, architecture, folds, files: ['config.json', SINGLE_FILE, ...files.map(([n]) => n)] };
}

/** The Hugging Face tensors, each built only when the writer reaches it (memory stays near the weights'). */
function hfTensors(family: Family, c: ModelConfig, w: StateDict) {
  const spec = new Map(paramSpec(c).map((s) => [s.name, s.shape]));
  const prefix = family.prefixes[0]!;
  return family.bindings(c).map((b) => ({
    name: b.base ? `${prefix}${b.hf}` : b.hf,
    shape: b.hfShape,
    dtype: 'float32' as const,
    data: () =>
      toHf(
        b,
        b.ours.map((n) => w.get(n)!),
        b.ours.map((n) => spec.get(n)!),
      ).data,
  }));
}
