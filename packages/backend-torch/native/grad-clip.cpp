// Gradient norm, clip and the non-finite guard over many tensors in one call each, all on the device:
// nothing here reads a value back to the host. Not the optimizer (optimizer.cpp) or autograd (autograd.cpp).
#include <c10/core/GradMode.h>

#include "engine.h"

namespace hc {

/**
 * Σ_i sum(g_i · g_i) in list order, float32, 0-dim: the composed fallback's reductions (one elementwise
 * square, one full sum per tensor, then sequential adds), so the two give the same bits. A multi-tensor
 * norm kernel (at::_foreach_norm) would save launches on CUDA but reduces in another order.
 */
static at::Tensor sumOfSquares(const std::vector<at::Tensor>& gs) {
  at::Tensor total;
  for (const at::Tensor& g : gs) {
    std::vector<int64_t> axes(static_cast<size_t>(g.dim()));
    for (int64_t i = 0; i < g.dim(); i++) axes[static_cast<size_t>(i)] = i;
    at::Tensor sq = g.dim() == 0 ? at::mul(g, g) : at::sum(at::mul(g, g), axes, false);  // ()
    total = total.defined() ? at::add(total, sq) : sq;
  }
  return total;
}

// sumOfSquares(grads) -> id of Σ g² (0-dim float32), the same reductions clipGradNorm makes.
Napi::Value Engine::SumOfSquares(const Napi::CallbackInfo& info) {
  return run(info, "sumOfSquares", [&]() -> Napi::Value {
    c10::NoGradGuard noGrad;
    const std::vector<at::Tensor> gs = getList(info, 0);
    if (gs.empty()) throw std::runtime_error("sumOfSquares needs at least one tensor");
    return put(info.Env(), sumOfSquares(gs));
  });
}

/**
 * clipGradNorm(grads, maxNorm, divisor, sumSqId) -> id of Σ g² (the gradients as given, before any scaling).
 * With sumSqId >= 0 that tensor is the Σ g² the clip uses (e.g. summed over the ranks that each hold a shard
 * of the gradient), and it is returned instead.
 * In place: g <- g · c / divisor with c = clamp(maxNorm / (‖g‖/divisor + 1e-6), max=1), PyTorch's
 * clip_grad_norm_ coefficient (c = 1 when maxNorm is 0). The coefficient is computed in float64 on the
 * device, then rounded once to float32: the same arithmetic the host did when it read the norm first.
 */
Tensors Engine::clipGradNorm(const Tensors& in, const OpCall& c) {
  c10::NoGradGuard noGrad;
  const double maxNorm = c.numbers[0];
  const double divisor = c.numbers[1];
  const bool given = c.numbers[2] != 0;  // the last input is the Σ g² to clip by
  const Tensors gs(in.begin(), given && !in.empty() ? in.end() - 1 : in.end());
  if (gs.empty()) throw std::runtime_error("clipGradNorm needs at least one gradient");
  if (!(divisor > 0)) throw std::runtime_error("clipGradNorm: divisor must be positive (got " + std::to_string(divisor) + ")");
  for (const at::Tensor& g : gs) {
    if (g.scalar_type() != at::kFloat) throw std::runtime_error("clipGradNorm takes float32 gradients (got " + std::string(c10::toString(g.scalar_type())) + ")");
  }
  at::Tensor sumSq = given ? in.back().reshape({}) : sumOfSquares(gs);  // () float32
  at::Tensor norm = sumSq.to(at::kDouble).sqrt_().div_(divisor);  // () float64: the averaged gradient's norm
  at::Tensor coef = maxNorm > 0 ? at::full_like(norm, maxNorm).div_(norm.add(1e-6)).clamp_max_(1.0) : at::ones_like(norm);
  const at::Tensor scale = coef.div_(divisor).to(at::kFloat);  // () float32
  for (const at::Tensor& g : gs) g.mul_(scale);
  return {sumSq};
}

Napi::Value Engine::ClipGradNorm(const Napi::CallbackInfo& info) {
  const int64_t given = info.Length() > 3 ? intArg(info, 3) : -1;  // a Σ g² to clip by, else -1
  std::vector<int64_t> ids = intListArg(info, 0);
  if (given >= 0) ids.push_back(given);
  return call(info, OpCall{Op::ClipGradNorm, ids, {numberArg(info, 1), numberArg(info, 2), given >= 0 ? 1.0 : 0.0}, {}});
}

/** flagNonFinite(guard, xs): guard (float32, one element) becomes 1 when any x holds a NaN or an infinity. */
Tensors Engine::flagNonFinite(const Tensors& in, const OpCall& c) {
  c10::NoGradGuard noGrad;
  const at::Tensor& guard = in[0];
  if (guard.scalar_type() != at::kFloat || guard.numel() != 1) throw std::runtime_error("flagNonFinite: the guard must be one float32 value");
  for (size_t i = 1; i < in.size(); i++) {
    const at::Tensor& x = in[i];
    if (!x.is_floating_point()) continue;
    guard.masked_fill_(at::isfinite(x).all().logical_not().reshape(guard.sizes()), 1.0);
  }
  return {};
}

Napi::Value Engine::FlagNonFinite(const Napi::CallbackInfo& info) {
  std::vector<int64_t> ids{intArg(info, 0)};
  for (int64_t id : intListArg(info, 1)) ids.push_back(id);
  return call(info, OpCall{Op::FlagNonFinite, ids, {}, {}});
}

}  // namespace hc
