// The optional fused ops on libtorch kernels: layer/RMS norm, attention (SDPA on 2.x), cross-entropy; each an
// entry that parses its arguments into an OpCall and the math that runs it (eager or replayed).
// Not GELU/SiLU/softmax (unary codes in ops-required.cpp), not AdamW (optimizer.cpp) and not the fused
// classifier (linear-cross-entropy.cpp).
#include <cmath>
#include <limits>

#include "compat.h"
#include "engine.h"

namespace hc {

Tensors Engine::layerNorm(const Tensors& in, const OpCall& c) {
  const at::Tensor& x = in[0];
  Optional<at::Tensor> bias;
  if (in[2].defined()) bias = in[2];
  return {at::layer_norm(x, {x.size(-1)}, in[1], bias, c.numbers[0])};
}

Napi::Value Engine::LayerNorm(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::LayerNorm, {intArg(info, 0), intArg(info, 1), intArg(info, 2)}, {numberArg(info, 3)}, {}});
}

Tensors Engine::rmsNorm(const Tensors& in, const OpCall& c) {
  const at::Tensor& x = in[0];
  at::Tensor inverseRms = at::rsqrt(x.square().mean(-1, true) + c.numbers[0]);  // (..., 1)
  return {x * inverseRms * in[1]};
}

Napi::Value Engine::RmsNorm(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::RmsNorm, {intArg(info, 0), intArg(info, 1)}, {numberArg(info, 2)}, {}});
}

const at::Tensor& Engine::causalMask(int64_t T, int64_t Tk, int64_t window) {
  auto key = std::make_tuple(T, Tk, window);
  auto it = causalMasks_.find(key);
  if (it != causalMasks_.end()) return it->second;
  // true where query t must not see key s, i.e. s > t + (Tk - T) (the reference's bottom-right alignment), and with
  // a window also s <= t + (Tk - T) - window
  const at::Tensor ones = at::ones({T, Tk}, at::TensorOptions().dtype(at::kBool).device(device_));
  at::Tensor mask = ones.triu(Tk - T + 1);
  if (window > 0) mask = mask.logical_or(ones.tril(Tk - T - window));
  return causalMasks_.emplace(key, mask).first->second;
}

const at::Tensor& Engine::causalBias(int64_t T, int64_t Tk, int64_t window) {
  auto key = std::make_tuple(T, Tk, window);
  auto it = causalBiases_.find(key);
  if (it != causalBiases_.end()) return it->second;
  // 0 where query t may see key s, float32's lowest where it must not: added to the scores it leaves them
  // exactly as they were, or exactly lowest (as masked_fill would), and softmax gives those keys 0.
  const double lowest = static_cast<double>(std::numeric_limits<float>::lowest());
  at::Tensor bias =
      at::zeros({T, Tk}, at::TensorOptions().dtype(at::kFloat).device(device_)).masked_fill_(causalMask(T, Tk, window), lowest);
  return causalBiases_.emplace(key, bias).first->second;
}

/**
 * softmax(scale · q kᵀ + causal bias) v as batched GEMMs: causal, the scale and the mask ride in the first GEMM
 * (baddbmm's alpha and beta·bias), so neither costs a pass over the (B, H, T, Tk) scores, forward or backward.
 * A sliding window widens the bias; a soft-cap (softcap · tanh(s / softcap), Gemma 2) goes between the scaled
 * product and the bias, in separate passes.
 * q and kᵀ are folded to 3-D exactly as at::matmul folds them (a view where the strides allow, else a
 * contiguous copy), so every GEMM, forward and backward, sees the operand layouts it saw before and the
 * results keep their bits (OpenBLAS sums a transposed operand in another order).
 */
at::Tensor Engine::manualAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                                   bool causal, double dropout, uint64_t seed, int64_t window, double softcap) {
  const int64_t T = q.size(-2), Tk = k.size(-2);
  const at::Tensor q3 = q.reshape({-1, T, q.size(-1)});   // (B·H, T, D)
  const at::Tensor kT = k.transpose(-2, -1).reshape({-1, k.size(-1), Tk});  // (B·H, D, Tk)
  const at::Tensor v3 = v.reshape({-1, Tk, v.size(-1)});  // (B·H, Tk, Dv)
  std::vector<int64_t> shape = q.sizes().vec();
  shape.back() = v.size(-1);
  if (q.is_cpu()) return slicedAttention(q3, kT, v3, scale, causal, dropout, seed, window, softcap).view(shape);  // attention-cpu.cpp
  at::Tensor scores;  // (B·H, T, Tk)
  if (softcap > 0) {
    scores = at::tanh(at::bmm(q3, kT) * scale / softcap) * softcap;
    if (causal) scores = scores + causalBias(T, Tk, window);
  } else {
    scores = causal ? at::baddbmm(causalBias(T, Tk, window), q3, kT, 1.0, scale) : at::bmm(q3, kT) * scale;
  }
  at::Tensor probs = at::softmax(scores, -1);
  if (dropout > 0) probs = probs * dropoutMask(probs, dropout, seed);
  return at::bmm(probs, v3).view(shape);  // (B, H, T, Dv)
}

Tensors Engine::attention(const Tensors& in, const OpCall& c) {
  const at::Tensor& q = in[0];  // (B, H, T, D)
  const at::Tensor& k = in[1];  // (B, H, Tk, D)
  const at::Tensor& v = in[2];  // (B, H, Tk, D)
  const double scale = c.numbers[0];
  const bool causal = c.numbers[1] != 0;
  const double dropout = c.numbers[2];
  const uint64_t seed = static_cast<uint64_t>(std::llround(std::fabs(c.numbers[3])));
  const int64_t window = causal ? static_cast<int64_t>(c.numbers[4]) : 0;  // 0: no sliding window
  const double softcap = c.numbers[5];                                      // 0: no soft-cap
#if HC_HAS_SDPA
  // SDPA's own dropout ignores our seed, so seeded dropout takes the manual path; so do windows and soft-caps.
  if (dropout == 0 && window == 0 && softcap == 0) {
    const int64_t T = q.size(-2), Tk = k.size(-2);
    Optional<at::Tensor> mask;
    const bool topLeftCausal = causal && T == Tk;
    if (causal && T != Tk) mask = causalMask(T, Tk).logical_not();  // SDPA's bool mask: true = may attend
#if HC_SDPA_HAS_SCALE
    return {at::scaled_dot_product_attention(q, k, v, mask, 0.0, topLeftCausal, scale)};
#else
    const double defaultScale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    const at::Tensor qs = scale == defaultScale ? q : q * (scale / defaultScale);
    return {at::scaled_dot_product_attention(qs, k, v, mask, 0.0, topLeftCausal)};
#endif
  }
#endif
  return {manualAttention(q, k, v, scale, causal, dropout, seed, window, softcap)};
}

Napi::Value Engine::Attention(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Attention,
                           {intArg(info, 0), intArg(info, 1), intArg(info, 2)},
                           {numberArg(info, 3), boolArg(info, 4) ? 1.0 : 0.0, numberArg(info, 5), numberArg(info, 6),
                            numberArg(info, 7), numberArg(info, 8)},
                           {}});
}

Tensors Engine::crossEntropy(const Tensors& in, const OpCall& c) {
  const at::Tensor& logits = in[0];                // (N, V)
  const at::Tensor targets = in[1].to(at::kLong);  // (N)
  return {at::cross_entropy_loss(logits, targets, {}, at::Reduction::Mean, static_cast<int64_t>(c.numbers[0]))};
}

Napi::Value Engine::CrossEntropy(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::CrossEntropy, {intArg(info, 0), intArg(info, 1)}, {numberArg(info, 2)}, {}});
}

}  // namespace hc
