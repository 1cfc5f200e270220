// A run's checkpoint made from its parts: the model part's weights and moments, trainer-state.json from the
// other parts, the provenance (a grown stage's checkpoint is that growth's clone, so fromCheckpoint and
// symmetryReport read it as one), the tokenizer and the files that travel with the weights. Not the writing
// (checkpointer.ts) and not the format (core's checkpoint.ts).

import type { Checkpoint } from '@hyperclone/core';
import { tokenizerOf } from '../data/data-source.js';
import type { ModelPart } from '../model/model-part.js';
import type { RunParts } from '../run/run-parts.js';
import { trainerState } from './trainer-state.js';

/** `gathered`: the model part's state when every rank gathered it (ZeRO); else rank 0 reads it here. */
export function runCheckpoint(p: RunParts, gathered: ReturnType<ModelPart['stateDict']> | null = null): Checkpoint {
  const { config: c, model, checkpointer } = p;
  const stage = c.stages[model.stage]!;
  const origin = stage.clone
    ? { kind: 'hyperclone', clone: stage.clone, source: c.init.origin, grownAfterStep: stage.fromStep }
    : c.init.origin;
  const { weights, optimizer } = gathered ?? model.stateDict();
  const data = { dir: checkpointer.store.recordPath(c.data), tokenizer: c.dataset.tokenizer };
  return {
    config: model.model,
    weights,
    origin: { ...origin, trainedBy: 'hyperclone trainer', run: c.out, step: p.accounting.step },
    optimizer,
    trainerState: trainerState(p, c.seed, data) as unknown as Record<string, unknown>,
    ...(Object.keys(p.carried).length > 0 ? { files: p.carried } : {}),
    tokenizer: tokenizerOf(c.dataset),
  };
}
