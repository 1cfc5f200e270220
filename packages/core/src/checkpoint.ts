// The checkpoint directory: config.json + model.safetensors (+ optimizer.safetensors and
// trainer-state.json when it comes from training), written atomically and checked when read.
// Not the trainer's resume logic: trainer state is carried here as opaque JSON.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from './atomic.js';
import { readJsonFile } from './json-file.js';
import { outputPathError } from './output-path.js';
import type { ModelConfig } from './config.js';
import { validateConfig } from './config.js';
import type { StateDict } from './host-tensor.js';
import { sameShape } from './host-tensor.js';
import { paramSpec } from './param-spec.js';
import { SafetensorsFile, writeSafetensorsFile } from './safetensors-file.js';
import type { TokenizerIdentity } from './tokenizer-identity.js';

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
  /** Files that travel with the weights (a Hugging Face model's tokenizer files), by plain file name. */
  files?: Record<string, Uint8Array>;
  /** The tokenizer the weights were trained with (absent for an untrained init). */
  tokenizer?: TokenizerIdentity;
}

interface ConfigFile {
  format: string;
  version: number;
  model: ModelConfig;
  origin?: Record<string, unknown>;
  tokenizer?: TokenizerIdentity;
  /** The names of the travelling files beside it. */
  files?: string[];
}

const OWN_FILES = new Set(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer-state.json']);

function checkFileNames(names: string[]): void {
  for (const name of names) {
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.') || OWN_FILES.has(name))
      throw new Error(`a checkpoint cannot carry a file named "${name}" (plain names only, not ${[...OWN_FILES].join(', ')})`);
  }
}

/**
 * Writes the checkpoint directory atomically (a temporary sibling renamed into place). A failed write
 * names the file and, for a full disk, how much the whole checkpoint needs.
 */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  checkWeights(ckpt.config, ckpt.weights, dir);
  const file: ConfigFile = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model: ckpt.config };
  if (ckpt.origin) file.origin = ckpt.origin;
  if (ckpt.tokenizer) file.tokenizer = ckpt.tokenizer;
  const files = Object.entries(ckpt.files ?? {});
  checkFileNames(files.map(([name]) => name));
  if (files.length > 0) file.files = files.map(([name]) => name);
  const configText = JSON.stringify(file, null, 2) + '\n';
  const stateText = ckpt.trainerState ? JSON.stringify(ckpt.trainerState, null, 2) + '\n' : undefined;
  const bytes =
    Buffer.byteLength(configText) +
    tensorBytes(ckpt.weights) +
    (ckpt.optimizer ? tensorBytes(ckpt.optimizer) : 0) +
    (stateText ? Buffer.byteLength(stateText) : 0) +
    files.reduce((n, [, data]) => n + data.byteLength, 0);
  await writeDirAtomic(dir, async (tmp) => {
    const write = async (name: string, put: (path: string) => void | Promise<void>): Promise<void> => {
      try {
        await put(join(tmp, name));
      } catch (e) {
        throw outputPathError(e, join(dir, name), join(dir, name), { bytes, of: 'the checkpoint' });
      }
    };
    await write('config.json', (path) => writeFile(path, configText));
    await write('model.safetensors', (path) => writeSafetensorsFile(path, ckpt.weights, { metadata: { format: 'pt' } }));
    if (ckpt.optimizer) await write('optimizer.safetensors', (path) => writeSafetensorsFile(path, ckpt.optimizer!));
    if (stateText) await write('trainer-state.json', (path) => writeFile(path, stateText));
    for (const [name, data] of files) await write(name, (path) => writeFile(path, data));
  });
}

export function isCheckpointDir(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
}

async function readConfigFile(dir: string): Promise<ConfigFile> {
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
  return file;
}

/** A checkpoint's model config alone, checked, without reading its weights (what a memory estimate needs). */
export async function readCheckpointConfig(dir: string): Promise<ModelConfig> {
  return (await readConfigFile(dir)).model;
}

/** Reads and checks a checkpoint: format, version, config, and every weight's name and shape. */
export async function loadCheckpoint(dir: string, { withTrainingState = true } = {}): Promise<Checkpoint> {
  const file = await readConfigFile(dir);
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) throw new Error(`${dir} is not a checkpoint: it has no model.safetensors`);
  const weights = refuseNonFinite(readSafetensorsFile(weightsPath), weightsPath);
  const ckpt: Checkpoint = { config: file.model, weights: orderBySpec(file.model, weights, weightsPath) };
  if (file.origin) ckpt.origin = file.origin;
  if (file.tokenizer) ckpt.tokenizer = file.tokenizer;
  if (file.files) ckpt.files = await readCarriedFiles(dir, file.files);
  if (withTrainingState) {
    const optPath = join(dir, 'optimizer.safetensors');
    if (existsSync(optPath)) ckpt.optimizer = refuseNonFinite(readSafetensorsFile(optPath), optPath);
    const statePath = join(dir, 'trainer-state.json');
    if (existsSync(statePath)) ckpt.trainerState = readJsonFile<Record<string, unknown>>(statePath);
  }
  return ckpt;
}

function tensorBytes(tensors: StateDict): number {
  let n = 0;
  for (const t of tensors.values()) n += t.data.byteLength;
  return n;
}

/** Every tensor of a safetensors file, read one at a time straight into its own array. */
function readSafetensorsFile(path: string): StateDict {
  const f = SafetensorsFile.open(path);
  try {
    return new Map([...f.entries.keys()].map((name) => [name, f.read(name)]));
  } finally {
    f.close();
  }
}

async function readCarriedFiles(dir: string, names: string[]): Promise<Record<string, Uint8Array>> {
  checkFileNames(names);
  const out: Record<string, Uint8Array> = {};
  for (const name of names) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`${dir}/config.json lists ${name}, which is missing; copy the checkpoint again`);
    out[name] = await readFile(path);
  }
  return out;
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

/** Throws naming the first tensor that holds a NaN or an infinity: such weights only ever compute garbage. */
export function refuseNonFinite(tensors: StateDict, source: string): StateDict {
  for (const [name, t] of tensors) {
    const data = t.data;
    let bad = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad > 0)
      throw new Error(
        `${source}: tensor ${name} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (the first, at index ${first}, is ${data[first]}); ` +
          'the weights are corrupt or come from a diverged run: use an earlier checkpoint',
      );
  }
  return tensors;
}

function orderBySpec(config: ModelConfig, weights: StateDict, source: string): StateDict {
  checkWeights(config, weights, source);
  return new Map(paramSpec(config).map((s) => [s.name, weights.get(s.name)!]));
}
