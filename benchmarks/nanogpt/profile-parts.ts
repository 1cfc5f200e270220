// Sorts an op profile's self times (hyperclone's, from the addon; PyTorch's, from its profiler) into the parts
// of a training step, the same way for both: by the entry an op ran under (the optimizer, the clip) and
// else by the op. Not the profiling itself (nanogpt-profile.ts runs both sides).

export interface ProfiledOp {
  /** The outermost event it ran under. */
  entry: string;
  name: string;
  calls: number;
  selfUs: number;
}

export const PARTS = [
  'GEMMs (matmuls, forward and backward)',
  'attention besides its GEMMs (softmax, mask, our CPU node)',
  'GELU (forward and backward)',
  'LayerNorm (forward and backward)',
  'loss (log-softmax, NLL, the fused classifier)',
  'embedding (forward and backward)',
  'other elementwise (adds, muls, residuals)',
  'copies and layout (copy_, reshape, cat, views)',
  'autograd engine and op wrappers',
  'optimizer (AdamW)',
  'gradient clip and non-finite guard',
  "engine entries (the addon's argument handling, tensor table)",
  'host: JavaScript or Python, and the crossing',
] as const;
export type Part = (typeof PARTS)[number];

/** Our linear layer's entry and node wait on the other thread's GEMM (its events are not on this thread): GEMM time. */
const GEMM = /^aten::(mm|addmm_?|bmm|baddbmm_?|_bmm)$|^linear$|LinearCpuFn/;
const GELU = /^aten::gelu(_backward)?$/;
const LAYER_NORM = /^aten::native_layer_norm(_backward)?$/;
const ATTENTION = /^aten::(_softmax|_softmax_backward_data|masked_fill_|tril|triu|ones)$|SlicedAttention|^attention$/;
const LOSS =
  /^aten::(_log_softmax|_log_softmax_backward_data|nll_loss_forward|nll_loss_backward|nll_loss|nll_loss_nd|cross_entropy_loss|gather|log_softmax)$|LinearCrossEntropy|^linearCrossEntropy$/;
const EMBEDDING =
  /^aten::(embedding|embedding_dense_backward|embedding_backward|index_select|index_add_|index_put_|_index_put_impl_|sort|unique_consecutive|cumsum)$/;
const LAYOUT =
  /^aten::(copy_|_to_copy|to|clone|contiguous|cat|stack|reshape|view|_reshape_alias|_unsafe_view|transpose|permute|t|as_strided|select|slice|narrow|expand|squeeze|unsqueeze|empty|empty_like|empty_strided|resize_|detach|alias|split|chunk|unbind|zeros|zeros_like|fill_|zero_|lift_fresh|numpy_T|view_as|flatten|sum_to_size)$/;
const OPTIMIZER = /Optimizer\.(step|zero_grad)|^adamw$/;
const CLIP = /^(clipGradNorm|flagNonFinite)$|^aten::(norm|linalg_vector_norm|clamp|clamp_max|_foreach_norm|isfinite|all)$/;
/** The addon's op entries (native/op-table.cpp's names) and the replay's. */
const ENTRIES =
  /^(unary op|binary op|cast|sum|max|argmax|reshape|transpose|slice|concat|gather|oneHot|matmul|dropout|layerNorm|rmsNorm|crossEntropy|valueAndGrad|replayStep)$/;

export function partOf(op: ProfiledOp): Part {
  if (OPTIMIZER.test(op.entry)) return 'optimizer (AdamW)';
  if (CLIP.test(op.entry)) return 'gradient clip and non-finite guard';
  if (GEMM.test(op.name)) return 'GEMMs (matmuls, forward and backward)';
  if (ATTENTION.test(op.name)) return 'attention besides its GEMMs (softmax, mask, our CPU node)';
  if (GELU.test(op.name)) return 'GELU (forward and backward)';
  if (LAYER_NORM.test(op.name)) return 'LayerNorm (forward and backward)';
  if (LOSS.test(op.name)) return 'loss (log-softmax, NLL, the fused classifier)';
  if (EMBEDDING.test(op.name)) return 'embedding (forward and backward)';
  if (ENTRIES.test(op.name)) return "engine entries (the addon's argument handling, tensor table)";
  if (LAYOUT.test(op.name)) return 'copies and layout (copy_, reshape, cat, views)';
  if (/^autograd::|Backward\d*$|^CppNode|^aten::(linear|matmul)$|^torch::autograd/.test(op.name)) return 'autograd engine and op wrappers';
  if (CLIP.test(op.name)) return 'gradient clip and non-finite guard';
  return 'other elementwise (adds, muls, residuals)';
}

/** Milliseconds per step by part; the host part is the wall clock outside every op. */
export function partsPerStep(ops: readonly ProfiledOp[], wallUs: number, insideUs: number, steps: number): Record<Part, number> {
  const out = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  for (const op of ops) out[partOf(op)] += op.selfUs / 1000 / steps;
  out['host: JavaScript or Python, and the crossing'] += Math.max(0, wallUs - insideUs) / 1000 / steps;
  return out;
}
