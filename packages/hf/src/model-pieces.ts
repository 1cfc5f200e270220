// The optional pieces of our model a Hugging Face family may or may not hold, named for export's refusals.
// Not a family's own checks (families/*.ts add what is particular to them) and not the config itself (core).

import type { ModelConfig } from '@hyperclone/core';
import { normPlacementOf } from '@hyperclone/core';

export type Piece =
  | 'post-norm'
  | 'sandwich-norm'
  | 'after-norm'
  | 'no-final-norm'
  | 'parameter-free-norm'
  | 'gain-plus-one'
  | 'shared-parallel-norm'
  | 'embed-projection'
  | 'scaled-embedding'
  | 'attention-scale'
  | 'attention-softcap'
  | 'logit-softcap'
  | 'qkv-clip'
  | 'qk-norm'
  | 'sliding-window'
  | 'rope-scaling'
  | 'longrope';

/** Each piece: whether a config has it, and how a refusal names it. */
const PIECES: readonly { piece: Piece; has: (c: ModelConfig) => boolean; what: string }[] = [
  { piece: 'post-norm', has: (c) => normPlacementOf(c) === 'post', what: 'post-norm blocks' },
  { piece: 'sandwich-norm', has: (c) => normPlacementOf(c) === 'sandwich', what: 'norms before and after each branch' },
  { piece: 'after-norm', has: (c) => normPlacementOf(c) === 'after', what: 'norms after each branch' },
  { piece: 'no-final-norm', has: (c) => c.finalNorm === false, what: 'a stack without a final norm' },
  { piece: 'parameter-free-norm', has: (c) => c.normAffine === false, what: 'parameter-free norms' },
  { piece: 'gain-plus-one', has: (c) => c.normGainPlusOne === true, what: 'norm gains of 1 + weight' },
  { piece: 'shared-parallel-norm', has: (c) => c.parallelSharedNorm === true, what: 'one norm for both parallel branches' },
  { piece: 'embed-projection', has: (c) => c.embedDim !== undefined, what: 'an embedding projected in and out' },
  { piece: 'scaled-embedding', has: (c) => c.scaleEmbedding === true, what: 'embeddings scaled by sqrt(dModel)' },
  { piece: 'attention-scale', has: (c) => c.attnScale !== undefined, what: 'an attention scale other than 1/sqrt(headDim)' },
  { piece: 'attention-softcap', has: (c) => c.attnSoftcap !== undefined, what: 'soft-capped attention scores' },
  { piece: 'logit-softcap', has: (c) => c.logitSoftcap !== undefined, what: 'soft-capped logits' },
  { piece: 'qkv-clip', has: (c) => c.qkvClip !== undefined, what: 'clipped q/k/v' },
  { piece: 'qk-norm', has: (c) => c.qkNorm === true, what: 'q/k norms' },
  { piece: 'sliding-window', has: (c) => c.slidingWindow !== undefined, what: 'sliding-window attention' },
  { piece: 'rope-scaling', has: (c) => c.ropeScaling !== undefined && c.ropeScaling.type !== 'longrope', what: 'rope scaling' },
  {
    piece: 'longrope',
    has: (c) => c.ropeScaling?.type === 'longrope',
    what: 'longrope scaling (transformers 4.49 switches to the long factors only in Phi-3)',
  },
];

/** Why `label` cannot hold `c`: the first piece it has that `holds` leaves out, or null. */
export function missingPiece(c: ModelConfig, label: string, holds: readonly Piece[]): string | null {
  const p = PIECES.find((x) => x.has(c) && !holds.includes(x.piece));
  return p ? `${label} cannot hold ${p.what}` : null;
}
