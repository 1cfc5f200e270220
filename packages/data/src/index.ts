// Public surface of @hyperclone/data: prepare a token dataset, open it, sample batches from it, and
// load its tokenizer. Not an implementation: the code lives in the concept folders named below.

// tokenizers/: text <-> ids
export type { Tokenizer, TokenizerSaveInfo } from './tokenizers/tokenizer.js';
export { loadTokenizer } from './tokenizers/load-tokenizer.js';
export { StreamDecoder } from './tokenizers/stream-decoder.js';

// prepare/: corpus files -> a token dataset directory
export { prepareDataset, type PrepareResult } from './prepare/prepare-dataset.js';
export type { PrepareOptions } from './prepare/prepare-options.js';
export type { PrepareProgress, PreparePhase } from './prepare/progress.js';
export type { DocSplit } from './corpus/text-documents.js';
export { shakespearePath } from './corpus/shakespeare-corpus.js';

// dataset/: the directory on disk and its splits
export { openDataset, type OpenDatasetOptions, type TokenDataset, type DatasetKind } from './dataset/open-dataset.js';
export { datasetTokenizer, type DatasetMeta, type FileInfo, type SourceInfo } from './dataset/dataset-meta.js';
export type { SplitName, TokenSplit } from './dataset/token-split.js';
export type { TokenDtype } from './dataset/token-dtype.js';

// sampling/: batches for training, fixed windows for evaluation
export { BatchSampler, type Batch, type BatchSamplerOptions, type SamplerMode, type SamplerState } from './sampling/batch-sampler.js';
export { evalWindows, type EvalWindows, type EvalWindowsOptions } from './sampling/eval-windows.js';
