// AdamW (decoupled weight decay) updating parameter and moment tensors in place: one param or all at once.
// Not schedules or state bookkeeping: the trainer owns learning rates, steps and which tensors are moments.
#include <c10/core/GradMode.h>
#include <cmath>
#include <iostream>

#include "compat.h"
#include "engine.h"

namespace hc {

struct AdamWHyper {
  double lr, beta1, beta2, eps, weightDecay, step;
};

static AdamWHyper hyperArgs(const Napi::CallbackInfo& info, size_t first) {
  return {numberArg(info, first), numberArg(info, first + 1), numberArg(info, first + 2),
          numberArg(info, first + 3), numberArg(info, first + 4), numberArg(info, first + 5)};
}

/** p <- p·(1 - lr·wd) - lr · m̂ / (sqrt(v̂) + eps), with m, v updated first (the reference composition). */
static void adamwInPlace(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, const AdamWHyper& h) {
  const double bias1 = 1 - std::pow(h.beta1, h.step);
  const double bias2 = 1 - std::pow(h.beta2, h.step);
  if (h.weightDecay != 0) p.mul_(1 - h.lr * h.weightDecay);
  m.mul_(h.beta1).add_(g, 1 - h.beta1);
  v.mul_(h.beta2).addcmul_(g, g, 1 - h.beta2);
  at::Tensor denom = (v.sqrt() / std::sqrt(bias2)).add_(h.eps);
  p.addcdiv_(m, denom, -h.lr / bias1);
}

static void checkSlot(const at::Tensor& p, const at::Tensor& other, const char* what) {
  if (!p.sizes().equals(other.sizes())) {
    throw std::runtime_error(std::string("adamw: ") + what + " shape " + c10::str(other.sizes()) +
                             " differs from the parameter's " + c10::str(p.sizes()));
  }
}

Napi::Value Engine::AdamW(const Napi::CallbackInfo& info) {
  return run(info, "adamw", [&]() -> Napi::Value {
    c10::NoGradGuard noGrad;
    at::Tensor p = get(info, 0), g = get(info, 1), m = get(info, 2), v = get(info, 3);
    checkSlot(p, g, "gradient");
    checkSlot(p, m, "first moment");
    checkSlot(p, v, "second moment");
    adamwInPlace(p, g, m, v, hyperArgs(info, 4));
    return info.Env().Undefined();
  });
}

Napi::Value Engine::AdamWMany(const Napi::CallbackInfo& info) {
  return run(info, "adamw", [&]() -> Napi::Value {
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> ps = getList(info, 0), gs = getList(info, 1), ms = getList(info, 2), vs = getList(info, 3);
    if (gs.size() != ps.size() || ms.size() != ps.size() || vs.size() != ps.size()) {
      throw std::runtime_error("adamw: params, grads, first and second moments must be lists of equal length");
    }
    for (size_t i = 0; i < ps.size(); i++) {
      checkSlot(ps[i], gs[i], "gradient");
      checkSlot(ps[i], ms[i], "first moment");
      checkSlot(ps[i], vs[i], "second moment");
    }
    const AdamWHyper h = hyperArgs(info, 4);
    // Optional guard (one float32 value, see flagNonFinite): when it is nonzero the update is skipped.
    Optional<at::Tensor> skipIf;
    if (info.Length() > 10 && intArg(info, 10) >= 0) skipIf = get(info, 10);
#if HC_HAS_FUSED_ADAMW
    if (device_.is_cuda() && !fusedAdamwFailed_ && !ps.empty()) {
      try {
        // One multi-tensor kernel for every parameter; the step count is read from a device scalar.
        at::Tensor step = at::full({}, h.step, at::TensorOptions().dtype(at::kFloat).device(device_));
        std::vector<at::Tensor> steps(ps.size(), step);
        std::vector<at::Tensor> dense;  // the multi-tensor kernel wants dense gradients (a no-op when they are)
        for (const at::Tensor& g : gs) dense.push_back(g.contiguous());
        // found_inf: the kernel itself skips the update when the guard is set, so nothing is read back.
        at::_fused_adamw_(ps, dense, ms, vs, {}, steps, h.lr, h.beta1, h.beta2, h.weightDecay, h.eps, false, false,
                          Optional<at::Tensor>(), skipIf);
        return info.Env().Undefined();
      } catch (const c10::Error& e) {
        fusedAdamwFailed_ = true;
        std::cerr << "hyperclone torch: _fused_adamw_ failed, using the per-tensor AdamW from now on: "
                  << e.what_without_backtrace() << std::endl;
      }
    }
#endif
    // The per-tensor path reads the guard: free on CPU (its ops have finished), one sync on CUDA.
    if (skipIf && skipIf->item<float>() != 0) return info.Env().Undefined();
    for (size_t i = 0; i < ps.size(); i++) adamwInPlace(ps[i], gs[i], ms[i], vs[i], h);
    return info.Env().Undefined();
  });
}

}  // namespace hc
