// Trains bpe:N on the training documents of a prepare run (first cut: not yet available).
// Not the BPE algorithm itself.

import type { InputFile } from './input-files.js';
import type { ResolvedPrepareOptions } from './prepare-options.js';
import type { ProgressMeter } from './progress.js';
import type { Tokenizer } from './tokenizer.js';

export async function trainBpeOnCorpus(_o: ResolvedPrepareOptions, spec: string, _files: InputFile[], _valFraction: number, _meter: ProgressMeter): Promise<Tokenizer> {
  throw new Error(`tokenizer ${spec}: BPE training is not available in this build yet; use byte or gpt2`);
}
