// Every input of a benchmark checked before its first training step: the dataset, the small model
// (a preset or a checkpoint), the clone's options for each variant, the training options of every
// run. Not the folder's state (bench-folder.ts) and not the training (compare.ts).

import { existsSync } from 'node:fs';
import type { Initializer, ModelConfig } from '@hyperclone/core';
import { resolveConfig, weightBytes, withVocab } from '@hyperclone/core';
import { openDataset } from '@hyperclone/data';
import { fromCheckpoint, growPlan, isModelDir, resolveCloneOptions } from '@hyperclone/init';
import { checkTrainMemory, loadTask, parseTrainOptions, type TrainOptions } from '@hyperclone/trainer';
import type { CompareOptions } from './compare.js';

export interface BenchInputs {
  /** The dataset's vocabulary (a preset small model is made with it). */
  vocabSize: number;
  small: ModelConfig;
  /** The wide model every arm trains (width, ffn and depth grown). */
  wide: ModelConfig;
}

/** The arms themselves are checked by the caller (arms.ts's checkArms, and the staged arm's sizes). */
export async function checkBenchInputs(o: CompareOptions, runOptions: (label: string) => TrainOptions): Promise<BenchInputs> {
  await Promise.all((o.tasks ?? []).map((task) => loadTask(task))); // a built-in name or a readable JSONL file
  const vocabSize = await datasetVocab(o.data);
  const small = await smallConfig(o.small, vocabSize);
  if (small.vocabSize < vocabSize)
    throw new Error(
      `--small ${o.small} has a vocabulary of ${small.vocabSize}, smaller than the dataset's ${vocabSize}: another tokenizer`,
    );
  resolveCloneOptions({ width: o.width, ...(o.ffn !== undefined ? { ffn: o.ffn } : {}), ...(o.tie !== undefined ? { tie: o.tie } : {}) });
  const wide = growPlan(small, {
    width: o.width,
    ...(o.ffn !== undefined ? { ffn: o.ffn } : {}),
    ...((o.depth ?? 1) > 1 ? { depth: o.depth! } : {}),
  }).config;
  const seqLen = o.seqLen ?? small.contextLength;
  if (seqLen > small.contextLength)
    throw new Error(`seqLen ${seqLen} exceeds the model's context length ${small.contextLength}; lower seqLen`);
  const [smallRun, wideRun] = ['small', 'wide'].map((label) => parseTrainOptions(runOptions(label)));
  // the largest runs must fit before the first step (each trainFrom checks its own again)
  await checkTrainMemory(planOnly(small, { weights: weightBytes(small) }), smallRun!);
  await checkTrainMemory(planOnly(wide, { source: weightBytes(small), output: weightBytes(wide) }), wideRun!);
  return { vocabSize, small, wide };
}

/** An initializer that only plans: what the memory check reads, before any arm exists. */
function planOnly(config: ModelConfig, load: Record<string, number>): Initializer {
  return {
    kind: 'plan',
    plan: () => Promise.resolve({ config, load }),
    load: () => Promise.reject(new Error('a memory plan has no weights')),
  };
}

async function datasetVocab(dir: string): Promise<number> {
  const dataset = await openDataset(dir);
  try {
    if (dataset.split('val').length === 0) throw new Error(`${dir} has an empty validation split; re-create it with --val-fraction 0.05`);
    return dataset.meta.vocabSize;
  } finally {
    dataset.close();
  }
}

async function smallConfig(small: string, vocabSize: number): Promise<ModelConfig> {
  // a checkpoint of ours, or a Hugging Face model directory as it is
  if (isModelDir(small)) return (await fromCheckpoint(small).plan!()).config; // the config alone, no weights
  if (existsSync(small))
    throw new Error(`--small ${small} is a directory but not a checkpoint (no config.json + model.safetensors, nor a Hugging Face model)`);
  return withVocab(resolveConfig(small), vocabSize);
}
