// The fused classifier: LM head and cross-entropy over row chunks of the batch, so the float32 logits
// (N x V) never exist at once; the gradients are computed chunk by chunk in the forward pass (llm.c and
// Liger's fused classifiers) and the backward only scales them. Not the head of evaluation (which needs
// the logits for accuracy): forward + crossEntropy still serve that.
//
// Each chunk runs the ATen calls the unfused composition runs, in its layouts: mm(x, Wᵀ) [+ bias] [· scale],
// log_softmax, nll_loss's backward and log_softmax's backward, then the linear layer's backward (dx = dlogits·W,
// dW = dlogitsᵀ·x; on CPU with more threads than one, the GEMMs spread as the linear layer spreads them,
// linear.cpp). With one chunk (64 MiB of float32 logits on CPU, 512 MiB on CUDA) the loss and every gradient are the unfused bits;
// with more the loss still is (nll_loss itself reduces the picked log-probabilities, which do not depend on
// the chunking), and the gradients differ in the last bits: each chunk's GEMMs sum in their own order.
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "cpu-gemms.h"
#include "engine.h"

namespace hc {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/** Logits a chunk may hold at once (float32 bytes): on CPU a cache-friendly size, on CUDA large GEMMs. */
constexpr int64_t kChunkBytesCpu = int64_t(64) << 20;
constexpr int64_t kChunkBytesCuda = int64_t(512) << 20;

struct ClassifierConstants {
  at::Tensor targets;  // (N) int64
  double scale;
  int64_t ignoreIndex;
  int64_t chunkRows;  // 0: from kChunkBytes
};

/** x · wᵀ as the linear layer computes it: row blocks, one per thread, on CPU with more threads than one. */
at::Tensor headGemm(const at::Tensor& x, const at::Tensor& w) {
  if (!spreadGemms(x) || x.scalar_type() != at::kFloat || w.scalar_type() != at::kFloat) return at::mm(x, w.t());
  at::Tensor y = at::empty({x.size(0), w.size(0)}, x.options());
  std::vector<GemmTask> tasks;
  appendRowBlocks(tasks, y, x, w.t(), gemmThreads());
  runGemms(tasks);
  return y;
}

struct LinearCrossEntropyFn : public torch::autograd::Function<LinearCrossEntropyFn> {
  // x (N, C), w (V, C), bias (V) or empty: the head's input, weight and bias
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                            const ClassifierConstants& k) {
    const bool hasBias = bias.numel() > 0;
    const bool needGrad = x.requires_grad() || w.requires_grad() || (hasBias && bias.requires_grad());
    const int64_t N = x.size(0), V = w.size(0);
    const int64_t budget = x.is_cuda() ? kChunkBytesCuda : kChunkBytesCpu;
    const int64_t rows = k.chunkRows > 0 ? k.chunkRows : std::max<int64_t>(1, budget / (4 * V));
    const at::Tensor& t = k.targets;
    const at::Tensor ignored = t.eq(k.ignoreIndex);
    // nll_loss's own reduction over the picked log-probabilities: targets 0 (or ignored) into an (N, 1) input
    const at::Tensor pickTargets = at::where(ignored, t, at::zeros_like(t));
    const at::Tensor scaleT = at::scalar_tensor(k.scale, at::kFloat);
    const at::Tensor one = at::ones({}, x.options().dtype(at::kFloat));
    at::Tensor totalWeight = ignored.logical_not().sum().to(at::kFloat);  // nll_loss's total weight: the count
    at::Tensor picked = at::empty({N, 1}, x.options().dtype(at::kFloat));
    at::Tensor dx, dw, db;
    if (needGrad) dx = at::empty_like(x, at::MemoryFormat::Contiguous);
    for (int64_t r0 = 0; r0 < N; r0 += rows) {
      const int64_t n = std::min(rows, N - r0);
      const at::Tensor xc = x.narrow(0, r0, n), tc = t.narrow(0, r0, n);
      at::Tensor logits = headGemm(xc, w);  // (n, V)
      if (hasBias) logits = at::add(logits, bias);
      if (k.scale != 1) logits = at::mul(logits, scaleT);
      // under autocast the head's GEMM is bf16 and the loss float32, as autocast runs cross_entropy
      const at::Tensor logitsF = logits.scalar_type() == at::kFloat ? logits : logits.to(at::kFloat);
      const at::Tensor logp = at::log_softmax(logitsF, 1, at::kFloat);  // (n, V)
      picked.narrow(0, r0, n).copy_(logp.gather(1, tc.clamp_min(0).unsqueeze(1)));
      if (!needGrad) continue;
      const at::Tensor gradLogp = at::nll_loss_backward(one, logp, tc, {}, at::Reduction::Mean, k.ignoreIndex, totalWeight);
      at::Tensor dlogits = at::_log_softmax_backward_data(gradLogp, logp, 1, at::kFloat);  // (n, V)
      if (k.scale != 1) dlogits = at::mul(dlogits, scaleT);
      if (hasBias) {
        const at::Tensor part = at::sum_to(dlogits, bias.sizes());
        db = db.defined() ? db.add_(part) : part;
      }
      const at::Tensor dlogitsMm = dlogits.to(logits.scalar_type());  // bf16 again under autocast, as autograd's cast
      if (spreadGemms(xc) && dlogitsMm.scalar_type() == at::kFloat) {
        // the linear layer's backward on CPU: both GEMMs at once, each on its share of the threads
        if (r0 == 0) dw = at::empty_like(w, at::MemoryFormat::Contiguous);
        const int64_t blocks = std::max<int64_t>(1, gemmThreads() / 2);
        std::vector<GemmTask> tasks;
        appendRowBlocks(tasks, dx.narrow(0, r0, n), dlogitsMm, w, blocks);
        appendRowBlocks(tasks, dw, dlogitsMm.t(), xc, blocks, r0 > 0);
        runGemms(tasks);
        continue;
      }
      dx.narrow(0, r0, n).copy_(at::mm(dlogitsMm, w));  // autograd's mm_mat1_backward: grad · mat2ᵀ
      // mm_mat2_backward for the column-major Wᵀ: (dlogitsᵀ · x)ᵀᵀ; later chunks add theirs
      if (r0 == 0) dw = at::mm(dlogitsMm.t(), xc).to(w.scalar_type());
      else if (dlogitsMm.scalar_type() == dw.scalar_type()) dw.addmm_(dlogitsMm.t(), xc);
      else dw.add_(at::mm(dlogitsMm.t(), xc));  // autocast: the bf16 GEMM, then into the float32 sum
    }
    const at::Tensor loss = std::get<0>(at::nll_loss_forward(picked, pickTargets, {}, at::Reduction::Mean, k.ignoreIndex));
    if (needGrad) {
      ctx->saved_data["dx"] = dx;
      ctx->saved_data["dw"] = dw;
      if (db.defined()) ctx->saved_data["db"] = db;
    }
    return loss;
  }

  // The gradients were made in the forward pass for an incoming gradient of 1; scale them by the real one.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor& g = grads[0];  // ()
    auto scaled = [&](const char* key) -> at::Tensor {
      if (!ctx->saved_data.count(key)) return at::Tensor();
      at::Tensor t = ctx->saved_data[key].toTensor();
      return t.mul_(g.to(t.scalar_type()));  // · 1 leaves every bit as it is
    };
    return {scaled("dx"), scaled("dw"), scaled("db"), at::Tensor()};
  }
};

}  // namespace

/** linearCrossEntropy: tensors [x (N, C), w (V, C), bias (V) or absent, targets (N) int]; numbers [ignoreIndex, scale, chunkRows]. */
Tensors Engine::linearCrossEntropy(const Tensors& in, const OpCall& c) {
  const at::Tensor& x = in[0];
  const at::Tensor& w = in[1];
  if (x.dim() != 2 || w.dim() != 2 || x.size(1) != w.size(1)) {
    throw std::runtime_error("linearCrossEntropy takes x (N, C) and a head weight (V, C); got " + c10::str(x.sizes()) + " and " +
                             c10::str(w.sizes()));
  }
  const at::Tensor bias = in[2].defined() ? in[2] : at::empty({0}, w.options());
  const at::Tensor targets = in[3].to(at::kLong).reshape({-1});
  if (targets.size(0) != x.size(0)) {
    throw std::runtime_error("linearCrossEntropy: " + std::to_string(targets.size(0)) + " targets for " + std::to_string(x.size(0)) + " rows");
  }
  const ClassifierConstants k{targets, c.numbers[1], static_cast<int64_t>(c.numbers[0]), static_cast<int64_t>(c.numbers[2])};
  return {LinearCrossEntropyFn::apply(x, w, bias, k)};
}

Napi::Value Engine::LinearCrossEntropy(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::LinearCrossEntropy,
                           {intArg(info, 0), intArg(info, 1), intArg(info, 2), intArg(info, 3)},
                           {numberArg(info, 4), numberArg(info, 5), numberArg(info, 6)},
                           {}});
}

}  // namespace hc
