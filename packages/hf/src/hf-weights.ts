// A Hugging Face directory's weight files: model.safetensors or pytorch_model.bin (torch.save, read without running its
// pickle), one file or shards listed in an index, opened lazily (one tensor read at a time). Not the tensor names (families/).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '@hyperclone/core';
import { SafetensorsFile } from '@hyperclone/core';
import { HfUnsupportedError } from './hf-fields.js';
import { TorchCheckpoint } from './torch-save/torch-checkpoint.js';

/** One weight file's tensors. */
interface TensorFile {
  names(): string[];
  /** Storage dtype, as safetensors names it: F32, F16, BF16, ... */
  dtypeOf(name: string): string;
  read(name: string): HostTensor;
  close(): void;
}

/** The weight formats read, in the order transformers prefers them: each as one file or as shards and an index. */
const WEIGHT_FORMATS: readonly { single: string; index: string; open: (path: string) => Promise<TensorFile> }[] = [
  {
    single: 'model.safetensors',
    index: 'model.safetensors.index.json',
    open: async (path) => {
      const f = SafetensorsFile.open(path);
      return {
        names: () => [...f.entries.keys()],
        dtypeOf: (n) => f.entries.get(n)!.dtype,
        read: (n) => f.read(n),
        close: () => f.close(),
      };
    },
  },
  {
    single: 'pytorch_model.bin',
    index: 'pytorch_model.bin.index.json',
    open: async (path) => {
      const f = await TorchCheckpoint.open(path);
      const tensors = f.tensors;
      return { names: () => [...tensors.keys()], dtypeOf: (n) => tensors.get(n)!.dtype, read: (n) => f.read(n), close: () => f.close() };
    },
  },
];

export const SINGLE_FILE = WEIGHT_FORMATS[0]!.single;
export const INDEX_FILE = WEIGHT_FORMATS[0]!.index;

/** Every tensor of a model's weight files, by name. */
export interface HfWeights {
  names(): string[];
  /** The file a tensor lives in (for messages). */
  fileOf(name: string): string;
  read(name: string): HostTensor;
  /** The dtypes stored (for provenance: F32, BF16, ...). */
  dtypes(): string[];
  close(): void;
}

const OTHER_FORMATS: readonly [string, string][] = [
  ['tf_model.h5', 'TensorFlow weights'],
  ['flax_model.msgpack', 'Flax weights'],
];

function conversionHint(dir: string, file: string, what: string): HfUnsupportedError {
  return new HfUnsupportedError(
    `${dir} holds ${file} (${what}), which hyperclone does not read; convert it to safetensors with ` +
      `python3 -c "from transformers import AutoModelForCausalLM as M; M.from_pretrained('${dir}').save_pretrained('${dir}-safetensors')" ` +
      'and import that directory',
  );
}

/** Opens the weights of `dir`: the single file, or every shard the index lists (each checked before use). */
export async function openHfWeights(dir: string): Promise<HfWeights> {
  for (const format of WEIGHT_FORMATS) {
    if (existsSync(join(dir, format.single)))
      return fromFiles(new Map([[format.single, await format.open(join(dir, format.single))]]), null, '');
    if (existsSync(join(dir, format.index))) return openShards(dir, format);
  }
  const other = OTHER_FORMATS.find(([f]) => existsSync(join(dir, f)));
  if (other) throw conversionHint(dir, other[0], other[1]);
  throw new Error(
    `${dir} has no ${WEIGHT_FORMATS.flatMap((f) => [f.single, f.index]).join(', ')}; a Hugging Face model directory needs its weights`,
  );
}

async function openShards(dir: string, format: (typeof WEIGHT_FORMATS)[number]): Promise<HfWeights> {
  const indexPath = join(dir, format.index);
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map?: unknown };
  } catch (e) {
    throw new Error(`${indexPath} is not valid JSON: ${(e as Error).message}`);
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${indexPath} has no "weight_map" object`);
  const weightMap = new Map(Object.entries(map as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const shards = new Map<string, TensorFile>();
  try {
    for (const shard of new Set(weightMap.values())) {
      if (shard.includes('/') || shard.includes('\\')) throw new Error(`${indexPath} names shard "${shard}" outside the directory`);
      if (!existsSync(join(dir, shard))) {
        const held = [...weightMap].filter(([, s]) => s === shard).map(([n]) => n);
        throw new Error(
          `${dir}: shard ${shard} listed in ${format.index} is missing (it holds ${held.length} tensors, e.g. ${held[0]}); download it again`,
        );
      }
      shards.set(shard, await format.open(join(dir, shard)));
    }
    return fromFiles(shards, weightMap, format.index);
  } catch (e) {
    for (const f of shards.values()) f.close();
    throw e;
  }
}

/** The tensors of the files; with an index, each listed tensor must be in the shard it is listed in (the caller closes on error). */
function fromFiles(files: Map<string, TensorFile>, weightMap: Map<string, string> | null, indexName: string): HfWeights {
  const where = new Map<string, string>();
  if (weightMap) {
    const held = new Map([...files].map(([file, f]) => [file, new Set(f.names())]));
    for (const [name, shard] of weightMap) {
      if (!held.get(shard)!.has(name)) throw new Error(`${indexName} lists "${name}" in ${shard}, which does not hold it`);
      where.set(name, shard);
    }
  } else {
    for (const [file, f] of files) for (const name of f.names()) where.set(name, file);
  }
  const fileOf = (name: string): string => {
    const f = where.get(name);
    if (!f) throw new Error(`the weights hold no tensor "${name}"`);
    return f;
  };
  return {
    names: () => [...where.keys()],
    fileOf,
    read: (name) => files.get(fileOf(name))!.read(name),
    dtypes: () => [...new Set([...where].map(([n, f]) => files.get(f)!.dtypeOf(n)))].sort(),
    close: () => {
      for (const f of files.values()) f.close();
    },
  };
}
