// A Hugging Face directory's weight files: model.safetensors, or shards listed in model.safetensors.index.json,
// opened lazily (one tensor read at a time). Not pickles: pytorch_model.bin is refused with a way to convert it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '@hyperclone/core';
import { SafetensorsFile, type SafetensorsEntry } from '@hyperclone/core';
import { HfUnsupportedError } from './hf-fields.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Every tensor of a model's weight files, by name. */
export interface HfWeights {
  names(): string[];
  entry(name: string): SafetensorsEntry;
  /** The file a tensor lives in (for messages). */
  fileOf(name: string): string;
  read(name: string): HostTensor;
  /** The dtypes stored (for provenance: float32, bfloat16, ...). */
  dtypes(): string[];
  close(): void;
}

const OTHER_FORMATS: readonly [string, string][] = [
  ['pytorch_model.bin', 'a PyTorch pickle'],
  ['pytorch_model.bin.index.json', 'sharded PyTorch pickles'],
  ['tf_model.h5', 'TensorFlow weights'],
  ['flax_model.msgpack', 'Flax weights'],
];

function conversionHint(dir: string, file: string, what: string): HfUnsupportedError {
  return new HfUnsupportedError(
    `${dir} holds ${file} (${what}), which hyperclone does not read (it never unpickles files); convert it to safetensors with ` +
      `python3 -c "from transformers import AutoModelForCausalLM as M; M.from_pretrained('${dir}').save_pretrained('${dir}-safetensors')" ` +
      'and import that directory',
  );
}

/** Opens the weights of `dir`: the single file, or every shard the index lists (each checked before use). */
export function openHfWeights(dir: string): HfWeights {
  if (existsSync(join(dir, SINGLE_FILE))) return fromFiles(new Map([[SINGLE_FILE, SafetensorsFile.open(join(dir, SINGLE_FILE))]]), null);
  if (existsSync(join(dir, INDEX_FILE))) return openShards(dir);
  const other = OTHER_FORMATS.find(([f]) => existsSync(join(dir, f)));
  if (other) throw conversionHint(dir, other[0], other[1]);
  throw new Error(`${dir} has no ${SINGLE_FILE} or ${INDEX_FILE}; a Hugging Face model directory needs its safetensors weights`);
}

function openShards(dir: string): HfWeights {
  const indexPath = join(dir, INDEX_FILE);
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map?: unknown };
  } catch (e) {
    throw new Error(`${indexPath} is not valid JSON: ${(e as Error).message}`);
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${indexPath} has no "weight_map" object`);
  const weightMap = new Map(Object.entries(map as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const shard of new Set(weightMap.values())) {
      if (shard.includes('/') || shard.includes('\\')) throw new Error(`${indexPath} names shard "${shard}" outside the directory`);
      if (!existsSync(join(dir, shard))) {
        const held = [...weightMap].filter(([, s]) => s === shard).map(([n]) => n);
        throw new Error(
          `${dir}: shard ${shard} listed in ${INDEX_FILE} is missing (it holds ${held.length} tensors, e.g. ${held[0]}); download it again`,
        );
      }
      shards.set(shard, SafetensorsFile.open(join(dir, shard)));
    }
    return fromFiles(shards, weightMap);
  } catch (e) {
    for (const f of shards.values()) f.close();
    throw e;
  }
}

/** The tensors of the files; with an index, each listed tensor must be in the shard it is listed in. */
function fromFiles(files: Map<string, SafetensorsFile>, weightMap: Map<string, string> | null): HfWeights {
  const where = new Map<string, string>();
  if (weightMap) {
    for (const [name, shard] of weightMap) {
      if (!files.get(shard)!.entries.has(name)) throw new Error(`${INDEX_FILE} lists "${name}" in ${shard}, which does not hold it`);
      where.set(name, shard);
    }
  } else {
    for (const [file, f] of files) for (const name of f.entries.keys()) where.set(name, file);
  }
  const fileOf = (name: string): string => {
    const f = where.get(name);
    if (!f) throw new Error(`the weights hold no tensor "${name}"`);
    return f;
  };
  return {
    names: () => [...where.keys()],
    entry: (name) => files.get(fileOf(name))!.entries.get(name)!,
    fileOf,
    read: (name) => files.get(fileOf(name))!.read(name),
    dtypes: () => [...new Set([...where].map(([n, f]) => files.get(f)!.entries.get(n)!.dtype))].sort(),
    close: () => {
      for (const f of files.values()) f.close();
    },
  };
}
