// Attention on CPU as one autograd node: its batched GEMMs run a chunk of (batch·head) slices per thread, and
// causal rows go in blocks that skip the keys they cannot see (after them, and before a sliding window). Not
// the math: that is manualAttention's (ops-fused.cpp), softmax(cap(scale · q kᵀ) + causal bias) [· dropout
// mask] v, with autograd's backward; cap is the identity or Gemma 2's softcap · tanh(s / softcap).
//
// libtorch 1.13's CPU bmm (no MKL) loops over the batch and hands each slice to BLAS, which splits a
// 256 x 32 x 256 GEMM over the threads and spends most of it waiting (docs/backend-torch.md has the
// measurements). Here each thread takes whole slices and runs their GEMMs on one thread (OpenBLAS runs
// single-threaded inside an OpenMP region). Each chunk is one call of the same
// ATen op on a narrowed batch, so a slice's GEMMs do not depend on how the batch was split: the results
// are the same bits on any thread count (test/attention-cpu.test.ts holds this). With one block of rows
// (T <= 64) they are also manualAttention's bits; with more, the key-side gradients sum the blocks'
// GEMMs and differ from it in the last bits.
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine.h"

namespace hc {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/** Runs fn(begin, end) over chunks of [0, n) on ATen's threads, gradient recording off in each. */
template <typename F>
void overBatch(int64_t n, F&& fn) {
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    at::NoGradGuard noGrad;  // the worker threads' own grad mode: these calls are the node's insides
    fn(begin, end);
  });
}

/** r = a @ b per slice of the leading axis: (N, n, k) x (N, k, m) -> r (N, n, m), r a view with unit column stride. */
void slicedBmmInto(at::Tensor& r, const at::Tensor& a, const at::Tensor& b) {
  overBatch(a.size(0), [&](int64_t begin, int64_t end) {
    at::Tensor rc = r.narrow(0, begin, end - begin);
    at::bmm_out(rc, a.narrow(0, begin, end - begin), b.narrow(0, begin, end - begin));
  });
}

/** a @ b per slice, a new contiguous (N, n, m). */
at::Tensor slicedBmm(const at::Tensor& a, const at::Tensor& b) {
  at::Tensor r = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  slicedBmmInto(r, a, b);
  return r;
}

/** r += alpha · (a @ b) per slice, in place (r a view with unit column stride). */
void slicedBmmAdd(at::Tensor& r, const at::Tensor& a, const at::Tensor& b, double alpha) {
  overBatch(a.size(0), [&](int64_t begin, int64_t end) {
    r.narrow(0, begin, end - begin).baddbmm_(a.narrow(0, begin, end - begin), b.narrow(0, begin, end - begin), 1.0, alpha);
  });
}

/** bias + alpha · (a @ b) per slice, as at::baddbmm (bias (n, m) broadcast over the slices). */
at::Tensor slicedBaddbmm(const at::Tensor& bias, const at::Tensor& a, const at::Tensor& b, double alpha) {
  at::Tensor r = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  overBatch(a.size(0), [&](int64_t begin, int64_t end) {
    at::Tensor rc = r.narrow(0, begin, end - begin);
    at::baddbmm_out(rc, bias, a.narrow(0, begin, end - begin), b.narrow(0, begin, end - begin), 1.0, alpha);
  });
  return r;
}

/** The node's constant inputs, passed beside the tensors autograd tracks (an undefined tensor may not be one of those). */
struct AttentionConstants {
  at::Tensor bias;  // (T, Tk) causal (and window) bias, or undefined: not causal
  at::Tensor mask;  // (N, T, Tk) scaled dropout mask, or undefined: no dropout
  int64_t window;   // keys a query sees at most (causal only), or 0: all it may
  double softcap;   // scores become softcap · tanh(score / softcap), or 0: left as they are
};

/** Query rows [begin, end) and the keys [first, first + keys) any of them may see. */
struct QueryBlock {
  int64_t begin, end, first, keys;
};

/**
 * Causal rows in blocks of 64 (query t sees keys s <= t + Tk - T, and with a window s > t + Tk - T - window),
 * each block only the keys one of its rows sees; else one block.
 */
std::vector<QueryBlock> queryBlocks(int64_t T, int64_t Tk, bool causal, int64_t window) {
  constexpr int64_t kRows = 64;
  if (!causal || T > Tk) return {{0, T, 0, Tk}};  // T > Tk: rows that see no key keep the full softmax (uniform), as before
  std::vector<QueryBlock> blocks;
  for (int64_t begin = 0; begin < T; begin += kRows) {
    const int64_t end = std::min(T, begin + kRows);
    const int64_t first = window > 0 ? std::max<int64_t>(0, begin + Tk - T - window + 1) : 0;
    blocks.push_back({begin, end, first, end + Tk - T - first});
  }
  return blocks;
}

/**
 * softmax(cap(scale · q kᵀ) [+ causal bias]) [· dropout mask] v over (B·H) slices, causal rows in blocks that skip
 * the keys they cannot see (the scores there are exactly float32's lowest and their probabilities exactly 0, so
 * leaving them out changes no visible value, only which GEMMs run: 62.5% of the work at T = 256).
 */
struct SlicedAttention : public torch::autograd::Function<SlicedAttention> {
  // q3 (N, T, D), kT (N, D, Tk), v3 (N, Tk, Dv)
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q3, const at::Tensor& kT, const at::Tensor& v3,
                            double scale, const AttentionConstants& constants) {
    const at::Tensor &bias = constants.bias, &mask = constants.mask;
    const double softcap = constants.softcap;
    const int64_t N = q3.size(0), T = q3.size(1), Tk = kT.size(2);
    const std::vector<QueryBlock> blocks = queryBlocks(T, Tk, bias.defined(), constants.window);
    at::Tensor out = at::empty({N, T, v3.size(2)}, q3.options());  // (N, T, Dv)
    variable_list saved{q3, kT, v3};
    for (const QueryBlock& b : blocks) {
      const at::Tensor q = q3.narrow(1, b.begin, b.end - b.begin);  // (N, rows, D)
      const at::Tensor k = kT.narrow(2, b.first, b.keys);           // (N, D, keys)
      const at::Tensor blockBias = bias.defined() ? bias.narrow(0, b.begin, b.end - b.begin).narrow(1, b.first, b.keys) : at::Tensor();
      at::Tensor scores, capped;  // (N, rows, keys); capped: tanh(scale · q kᵀ / softcap)
      if (softcap > 0) {
        capped = slicedBmm(q, k).mul_(scale).div_(softcap).tanh_();
        scores = blockBias.defined() ? capped * softcap + blockBias : capped * softcap;
      } else {
        scores = blockBias.defined() ? slicedBaddbmm(blockBias, q, k, scale) : slicedBmm(q, k).mul_(scale);
      }
      at::Tensor probs = at::_softmax(scores, -1, false);
      scores.reset();
      at::Tensor weights = mask.defined() ? probs * mask.narrow(1, b.begin, b.end - b.begin).narrow(2, b.first, b.keys) : probs;
      at::Tensor o = out.narrow(1, b.begin, b.end - b.begin);
      slicedBmmInto(o, weights, v3.narrow(1, b.first, b.keys));  // (N, rows, Dv)
      saved.push_back(probs);
      saved.push_back(weights);
      if (softcap > 0) saved.push_back(capped);
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["causal"] = bias.defined();
    ctx->saved_data["window"] = constants.window;
    ctx->saved_data["softcap"] = softcap;
    if (mask.defined()) ctx->saved_data["mask"] = mask;
    return out;
  }

  // Per block, the gradients autograd computed for baddbmm (or bmm · scale), the cap's tanh, softmax, the mask
  // product and bmm; the key-side gradients (k, v) sum the blocks' contributions over the keys each block saw.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &q3 = saved[0], &kT = saved[1], &v3 = saved[2];
    const at::Tensor mask = ctx->saved_data.count("mask") ? ctx->saved_data["mask"].toTensor() : at::Tensor();
    const double scale = ctx->saved_data["scale"].toDouble();
    const bool causal = ctx->saved_data["causal"].toBool();
    const double softcap = ctx->saved_data["softcap"].toDouble();
    const int64_t T = q3.size(1), Tk = kT.size(2);
    const std::vector<QueryBlock> blocks = queryBlocks(T, Tk, causal, ctx->saved_data["window"].toInt());
    const size_t perBlock = softcap > 0 ? 3 : 2;  // probs, weights[, capped]
    const at::Tensor& grad = grads[0];            // (N, T, Dv)
    at::Tensor gradQ = at::empty_like(q3, at::MemoryFormat::Contiguous);
    at::Tensor gradKT = at::zeros_like(kT, at::MemoryFormat::Contiguous);
    at::Tensor gradV = at::zeros_like(v3, at::MemoryFormat::Contiguous);
    for (size_t i = 0; i < blocks.size(); i++) {
      const QueryBlock& b = blocks[i];
      const int64_t rows = b.end - b.begin;
      const at::Tensor &probs = saved[3 + perBlock * i], &weights = saved[4 + perBlock * i];  // (N, rows, keys)
      const at::Tensor g = grad.narrow(1, b.begin, rows);                                     // (N, rows, Dv)
      const at::Tensor q = q3.narrow(1, b.begin, rows), k = kT.narrow(2, b.first, b.keys), v = v3.narrow(1, b.first, b.keys);
      at::Tensor gradWeights = slicedBmm(g, v.transpose(1, 2));  // (N, rows, keys)
      at::Tensor gv = gradV.narrow(1, b.first, b.keys);
      slicedBmmAdd(gv, weights.transpose(1, 2), g, 1.0);  // (N, keys, Dv)
      at::Tensor gradProbs = mask.defined() ? gradWeights * mask.narrow(1, b.begin, rows).narrow(2, b.first, b.keys) : gradWeights;
      gradWeights.reset();
      at::Tensor gradScores = at::_softmax_backward_data(gradProbs, probs, -1, probs.scalar_type());  // (N, rows, keys)
      gradProbs.reset();
      at::Tensor gq = gradQ.narrow(1, b.begin, rows), gk = gradKT.narrow(2, b.first, b.keys);
      if (softcap > 0) {  // through softcap · tanh(s / softcap): times 1 - tanh², then (q kᵀ) · scale as below
        const at::Tensor& capped = saved[5 + perBlock * i];
        gradScores.mul_(1 - capped * capped).mul_(scale);
        slicedBmmInto(gq, gradScores, k.transpose(1, 2));
        slicedBmmAdd(gk, q.transpose(1, 2), gradScores, 1.0);
      } else if (causal) {  // baddbmm's backward: each batch gradient times alpha
        slicedBmmInto(gq, gradScores, k.transpose(1, 2));
        gq.mul_(scale);
        slicedBmmAdd(gk, q.transpose(1, 2), gradScores, scale);
      } else {  // (q kᵀ) · scale: the product's gradient first, then bmm's
        gradScores.mul_(scale);
        slicedBmmInto(gq, gradScores, k.transpose(1, 2));
        slicedBmmAdd(gk, q.transpose(1, 2), gradScores, 1.0);
      }
    }
    return {gradQ, gradKT, gradV, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor Engine::slicedAttention(const at::Tensor& q3, const at::Tensor& kT, const at::Tensor& v3, double scale,
                                   bool causal, double dropout, uint64_t seed, int64_t window, double softcap) {
  AttentionConstants constants{at::Tensor(), at::Tensor(), causal ? window : 0, softcap};
  if (causal) constants.bias = causalBias(q3.size(1), kT.size(2), window);
  if (dropout > 0) constants.mask = dropoutMask(at::empty({q3.size(0), q3.size(1), kT.size(2)}, q3.options()), dropout, seed);
  return SlicedAttention::apply(q3, kT, v3, scale, constants);
}

}  // namespace hc
