// The optional fused ops on libtorch kernels: layer/RMS norm, attention (SDPA on 2.x), cross-entropy.
// Not GELU/SiLU/softmax (unary codes in ops-required.cpp) and not AdamW (optimizer.cpp).
#include <cmath>
#include <limits>

#include "compat.h"
#include "engine.h"

namespace hc {

Napi::Value Engine::LayerNorm(const Napi::CallbackInfo& info) {
  return run(info, "layerNorm", [&]() -> Napi::Value {
    const at::Tensor& x = get(info, 0);
    Optional<at::Tensor> bias;
    if (intArg(info, 2) >= 0) bias = get(info, 2);
    return put(info.Env(), at::layer_norm(x, {x.size(-1)}, get(info, 1), bias, numberArg(info, 3)));
  });
}

Napi::Value Engine::RmsNorm(const Napi::CallbackInfo& info) {
  return run(info, "rmsNorm", [&]() -> Napi::Value {
    const at::Tensor& x = get(info, 0);
    at::Tensor inverseRms = at::rsqrt(x.square().mean(-1, true) + numberArg(info, 2));  // (..., 1)
    return put(info.Env(), x * inverseRms * get(info, 1));
  });
}

const at::Tensor& Engine::causalMask(int64_t T, int64_t Tk) {
  auto key = std::make_pair(T, Tk);
  auto it = causalMasks_.find(key);
  if (it != causalMasks_.end()) return it->second;
  // true where query t must not see key s, i.e. s > t + (Tk - T) (the reference's bottom-right alignment)
  at::Tensor mask = at::ones({T, Tk}, at::TensorOptions().dtype(at::kBool).device(device_)).triu(Tk - T + 1);
  return causalMasks_.emplace(key, mask).first->second;
}

at::Tensor Engine::manualAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                                   bool causal, double dropout, uint64_t seed) {
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * scale;  // (B, H, T, Tk)
  if (causal) {
    const double lowest = static_cast<double>(std::numeric_limits<float>::lowest());
    scores = scores.masked_fill(causalMask(q.size(-2), k.size(-2)), lowest);
  }
  at::Tensor probs = at::softmax(scores, -1);
  if (dropout > 0) probs = probs * dropoutMask(probs, dropout, seed);
  return at::matmul(probs, v);  // (B, H, T, D)
}

Napi::Value Engine::Attention(const Napi::CallbackInfo& info) {
  return run(info, "attention", [&]() -> Napi::Value {
    const at::Tensor& q = get(info, 0);  // (B, H, T, D)
    const at::Tensor& k = get(info, 1);  // (B, H, Tk, D)
    const at::Tensor& v = get(info, 2);  // (B, H, Tk, D)
    const double scale = numberArg(info, 3);
    const bool causal = boolArg(info, 4);
    const double dropout = numberArg(info, 5);
    const uint64_t seed = static_cast<uint64_t>(std::llround(std::fabs(numberArg(info, 6))));
#if HC_HAS_SDPA
    // SDPA's own dropout ignores our seed, so seeded dropout takes the manual path.
    if (dropout == 0) {
      const int64_t T = q.size(-2), Tk = k.size(-2);
      Optional<at::Tensor> mask;
      const bool topLeftCausal = causal && T == Tk;
      if (causal && T != Tk) mask = causalMask(T, Tk).logical_not();  // SDPA's bool mask: true = may attend
#if HC_SDPA_HAS_SCALE
      return put(info.Env(), at::scaled_dot_product_attention(q, k, v, mask, 0.0, topLeftCausal, scale));
#else
      const double defaultScale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
      const at::Tensor qs = scale == defaultScale ? q : q * (scale / defaultScale);
      return put(info.Env(), at::scaled_dot_product_attention(qs, k, v, mask, 0.0, topLeftCausal));
#endif
    }
#endif
    return put(info.Env(), manualAttention(q, k, v, scale, causal, dropout, seed));
  });
}

Napi::Value Engine::CrossEntropy(const Napi::CallbackInfo& info) {
  return run(info, "crossEntropy", [&]() -> Napi::Value {
    const at::Tensor& logits = get(info, 0);                // (N, V)
    const at::Tensor targets = get(info, 1).to(at::kLong);  // (N)
    return put(info.Env(), at::cross_entropy_loss(logits, targets, {}, at::Reduction::Mean, intArg(info, 2)));
  });
}

}  // namespace hc
