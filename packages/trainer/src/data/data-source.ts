// Where a run's tokens come from: the DataSource interface (replaceable from trainFrom's `dataSource`
// option) and the one made from a token dataset directory (`hyperclone prepare`'s), with its seeded,
// resumable sampler and fixed validation windows. Not the dataset format or the sampler's algorithm
// (both @hyperclone/data).

import { resolve } from 'node:path';
import type { TokenizerIdentity } from '@hyperclone/core';
import type { SamplerState, TokenDataset } from '@hyperclone/data';
import { BatchSampler, datasetTokenizer, evalWindows, loadTokenizer, openDataset } from '@hyperclone/data';
import type { EvalWindow } from '../evaluation/evaluate.js';
import type { DatasetInfo } from '../run/run-config.js';
import type { TrainData } from './train-data.js';

/** A run's data: what config.json records of it, and its batches and windows once the run's shape is known. */
export interface DataSource {
  /** Tokenizer, vocabulary and token counts (config.json's `dataset`; the model's vocabulary must cover it). */
  readonly info: DatasetInfo;
  /** The directory it was read from (checkpoints record it, so `hyperclone sample` finds the tokenizer); null for another source. */
  readonly dir: string | null;
  /** The training batches (a Stateful sampler, saved in every checkpoint) and the validation windows of one run. */
  open(o: SamplingOptions): TrainData;
  close(): void;
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

/** A token dataset directory as a DataSource; throws on an empty validation split. */
export async function datasetSource(dir: string): Promise<DataSource> {
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
  return { info, dir: resolve(dataset.dir), open: (o) => openSplits(dataset, o), close: () => dataset.close() };
}

function openSplits(dataset: TokenDataset, o: SamplingOptions): TrainData {
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
    nextBatch: () => sampler.next(),
    evalSet,
    tokenizer: () => loadTokenizer(dataset.dir),
    stateDict: () => sampler.stateDict(),
    loadStateDict: (state, source) => sampler.loadStateDict(state as SamplerState, source), // checked against the options and data
  };
}
