// The checkpoint directory: config.json + model.safetensors (+ optimizer.safetensors and
// trainer-state.json when it comes from training), written atomically and checked when read.
// Not the trainer's resume logic: trainer state is carried here as opaque JSON.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from './atomic.js';
import type { ModelConfig } from './config.js';
import { validateConfig } from './config.js';
import type { StateDict } from './host-tensor.js';
import { sameShape } from './host-tensor.js';
import { paramSpec } from './param-spec.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'hyperclone-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  config: ModelConfig;
  weights: StateDict;
  /** Where the weights came from (random init, a clone of another config, an import...). */
  origin?: Record<string, unknown>;
  /** AdamW moments, named `m.<param>` and `v.<param>`. */
  optimizer?: StateDict;
  /** Step, tokens, RNG, data cursor, accounting: owned by the trainer. */
  trainerState?: Record<string, unknown>;
}

interface ConfigFile {
  format: string;
  version: number;
  model: ModelConfig;
  origin?: Record<string, unknown>;
}

export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  checkWeights(ckpt.config, ckpt.weights, dir);
  const file: ConfigFile = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model: ckpt.config };
  if (ckpt.origin) file.origin = ckpt.origin;
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'config.json'), JSON.stringify(file, null, 2) + '\n');
    await writeFile(join(tmp, 'model.safetensors'), encodeSafetensors(ckpt.weights, { format: 'pt' }));
    if (ckpt.optimizer) await writeFile(join(tmp, 'optimizer.safetensors'), encodeSafetensors(ckpt.optimizer));
    if (ckpt.trainerState) await writeFile(join(tmp, 'trainer-state.json'), JSON.stringify(ckpt.trainerState, null, 2) + '\n');
  });
}

export function isCheckpointDir(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}

/** Reads and checks a checkpoint: format, version, config, and every weight's name and shape. */
export async function loadCheckpoint(dir: string, { withTrainingState = true } = {}): Promise<Checkpoint> {
  const configPath = join(dir, 'config.json');
  if (!existsSync(dir)) throw new Error(`checkpoint ${dir} does not exist`);
  if (!existsSync(configPath)) throw new Error(`${dir} is not a checkpoint: it has no config.json`);
  let file: ConfigFile;
  try {
    file = JSON.parse(await readFile(configPath, 'utf8')) as ConfigFile;
  } catch (e) {
    throw new Error(`${configPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (file.format !== CHECKPOINT_FORMAT)
    throw new Error(`${configPath} has format ${JSON.stringify(file.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (file.version !== CHECKPOINT_VERSION)
    throw new Error(`${configPath} has version ${file.version}; this hyperclone reads version ${CHECKPOINT_VERSION}`);
  validateConfig(file.model);
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) throw new Error(`${dir} is not a checkpoint: it has no model.safetensors`);
  const weights = decodeSafetensors(await readFile(weightsPath), weightsPath).tensors;
  const ckpt: Checkpoint = { config: file.model, weights: orderBySpec(file.model, weights, weightsPath) };
  if (file.origin) ckpt.origin = file.origin;
  if (withTrainingState) {
    const optPath = join(dir, 'optimizer.safetensors');
    if (existsSync(optPath)) ckpt.optimizer = decodeSafetensors(await readFile(optPath), optPath).tensors;
    const statePath = join(dir, 'trainer-state.json');
    if (existsSync(statePath)) ckpt.trainerState = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
  }
  return ckpt;
}

/** Throws unless the weights hold exactly the config's parameters with the config's shapes. */
export function checkWeights(config: ModelConfig, weights: StateDict, source: string): void {
  const spec = paramSpec(config);
  const missing = spec.filter((s) => !weights.has(s.name)).map((s) => s.name);
  const expected = new Set(spec.map((s) => s.name));
  const extra = [...weights.keys()].filter((k) => !expected.has(k));
  const wrong = spec
    .filter((s) => weights.has(s.name) && !sameShape(weights.get(s.name)!.shape, s.shape))
    .map((s) => `${s.name} is [${weights.get(s.name)!.shape.join(', ')}], config says [${s.shape.join(', ')}]`);
  const problems = [
    missing.length ? `missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` : '',
    extra.length ? `unexpected ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}` : '',
    ...wrong.slice(0, 5),
  ].filter(Boolean);
  if (problems.length) throw new Error(`weights in ${source} do not match the model config: ${problems.join('; ')}`);
}

function orderBySpec(config: ModelConfig, weights: StateDict, source: string): StateDict {
  checkWeights(config, weights, source);
  return new Map(paramSpec(config).map((s) => [s.name, weights.get(s.name)!]));
}
