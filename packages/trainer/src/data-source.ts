// Opens a token dataset for training: its summary for the run config, then a seeded resumable
// sampler and the fixed validation windows once the sequence length is known. Not the dataset
// format or the sampler's algorithm (both @hyperclone/data).

import { resolve } from 'node:path';
import type { TokenizerIdentity } from '@hyperclone/core';
import type { TokenDataset } from '@hyperclone/data';
import { BatchSampler, datasetTokenizer, evalWindows, loadTokenizer, openDataset } from '@hyperclone/data';
import type { EvalWindow } from './evaluate.js';
import type { DatasetInfo } from './run-config.js';
import type { TrainData } from './train-data.js';

export interface OpenedDataset {
  dataset: TokenDataset;
  info: DatasetInfo;
}

export async function openDatasetInfo(dir: string): Promise<OpenedDataset> {
  const dataset = await openDataset(dir);
  const { meta } = dataset;
  const info: DatasetInfo = {
    tokenizer: meta.tokenizer,
    tokenizerSha256: datasetTokenizer(meta).sha256,
    vocabSize: meta.vocabSize,
    eotId: meta.eotId,
    trainTokens: dataset.split('train').length,
    valTokens: dataset.split('val').length,
  };
  if (info.valTokens === 0) {
    dataset.close();
    throw new Error(`${dir} has an empty validation split; re-create it with hyperclone prepare --val-fraction 0.05 (or --val-input)`);
  }
  return { dataset, info };
}

export interface SamplingOptions {
  batchSize: number;
  seqLen: number;
  seed: number;
  sampler?: 'random' | 'epoch';
  evalWindows: number;
  evalSeed: number;
  /** This process's rank and the group's size: it draws batchSize / worldSize rows of each global micro-batch. */
  rank?: number;
  worldSize?: number;
}

/** The dataset's tokenizer identity, as checkpoints record it. */
export function tokenizerOf(info: DatasetInfo): TokenizerIdentity {
  return { name: info.tokenizer, sha256: info.tokenizerSha256 ?? null };
}

export function trainData({ dataset, info }: OpenedDataset, o: SamplingOptions): TrainData {
  const worldSize = o.worldSize ?? 1;
  const sampler = new BatchSampler(dataset.split('train'), {
    batchSize: o.batchSize / worldSize,
    seqLen: o.seqLen,
    seed: o.seed,
    mode: o.sampler ?? 'random',
    rank: o.rank ?? 0,
    worldSize,
  });
  const windows = evalWindows(dataset.split('val'), { count: o.evalWindows, seqLen: o.seqLen, seed: o.evalSeed });
  const evalSet: EvalWindow[] = Array.from({ length: windows.count }, (_, i) => ({
    inputs: windows.inputs.subarray(i * o.seqLen, (i + 1) * o.seqLen),
    targets: windows.targets.subarray(i * o.seqLen, (i + 1) * o.seqLen),
  }));
  return {
    dir: resolve(dataset.dir),
    info,
    nextBatch: () => sampler.next(),
    sampler,
    evalSet,
    tokenizer: () => loadTokenizer(dataset.dir),
    close: () => dataset.close(),
  };
}
