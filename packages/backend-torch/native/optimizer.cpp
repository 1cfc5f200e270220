// AdamW (decoupled weight decay) updating parameter and moment tensors in place: one param or all at once.
// Not schedules or state bookkeeping: the trainer owns learning rates, steps and which tensors are moments
// (a replayed step program sets the rate and the step count of every AdamW call it holds).
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <cmath>
#include <iostream>

#include "compat.h"
#include "cuda-graph.h"
#include "engine.h"

namespace hc {

struct AdamWHyper {
  double lr, beta1, beta2, eps, weightDecay, step;
};

static AdamWHyper hyperOf(const OpCall& c) {
  return {c.numbers[kAdamWLr], c.numbers[kAdamWBeta1], c.numbers[kAdamWBeta2],
          c.numbers[kAdamWEps], c.numbers[kAdamWDecay], c.numbers[kAdamWStep]};
}

static std::vector<double> hyperArgs(const Napi::CallbackInfo& info, size_t first) {
  std::vector<double> numbers;
  for (size_t k = 0; k < 6; k++) numbers.push_back(numberArg(info, first + k));
  return numbers;
}

/** Whether the one-pass CPU loop takes this update: CPU float32 tensors, each dense. */
static bool fusedOnCpu(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
  for (const at::Tensor* t : {&p, &g, &m, &v}) {
    if (!t->device().is_cpu() || t->scalar_type() != at::kFloat || !t->is_contiguous()) return false;
  }
  return true;
}

/**
 * p <- p·(1 - lr·wd) - lr · m̂ / (sqrt(v̂) + eps), with m, v updated first (the reference composition).
 * On CPU one pass over the elements does what the composition's nine ops do, each product, sum, root and
 * quotient rounded to float32 in the same order; it differs from ATen's kernels only where those fuse a
 * multiply-add (add_'s alpha on AVX2 and AVX-512), by at most an ulp of m there. Elsewhere the composition.
 */
static void adamwInPlace(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, const AdamWHyper& h) {
  const double bias1 = 1 - std::pow(h.beta1, h.step);
  const double bias2 = 1 - std::pow(h.beta2, h.step);
  if (fusedOnCpu(p, g, m, v)) {
    // the scalars as ATen rounds them for a float32 tensor
    const float decay = static_cast<float>(1 - h.lr * h.weightDecay), b1 = static_cast<float>(h.beta1);
    const float a1 = static_cast<float>(1 - h.beta1), b2 = static_cast<float>(h.beta2), a2 = static_cast<float>(1 - h.beta2);
    const float rootBias2 = static_cast<float>(std::sqrt(bias2)), eps = static_cast<float>(h.eps);
    const float stepSize = static_cast<float>(-h.lr / bias1);
    const bool decays = h.weightDecay != 0;
    float* pp = p.data_ptr<float>();
    float* mp = m.data_ptr<float>();
    float* vp = v.data_ptr<float>();
    const float* gp = g.data_ptr<float>();
    at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        const float gi = gp[i];
        const float pi = decays ? pp[i] * decay : pp[i];
        const float mi = mp[i] * b1 + a1 * gi;
        const float vi = vp[i] * b2 + a2 * gi * gi;
        const float denom = std::sqrt(vi) / rootBias2 + eps;
        pp[i] = pi + stepSize * mi / denom;
        mp[i] = mi;
        vp[i] = vi;
      }
    });
    return;
  }
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

/** adamw: tensors [p, g, m, v], numbers the hyperparameters; updates p, m, v in place. */
Tensors Engine::adamw(const Tensors& in, const OpCall& c) {
  c10::NoGradGuard noGrad;
  at::Tensor p = in[0], g = in[1], m = in[2], v = in[3];
  checkSlot(p, g, "gradient");
  checkSlot(p, m, "first moment");
  checkSlot(p, v, "second moment");
  adamwInPlace(p, g, m, v, hyperOf(c));
  return {};
}

Napi::Value Engine::AdamW(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::AdamW, {intArg(info, 0), intArg(info, 1), intArg(info, 2), intArg(info, 3)}, hyperArgs(info, 4), {}});
}

/** adamwMany: tensors params ++ grads ++ first moments ++ second moments ++ [skipIf or absent]. */
Tensors Engine::adamwMany(const Tensors& in, const OpCall& c) {
  c10::NoGradGuard noGrad;
  const size_t n = (in.size() - 1) / 4;
  std::vector<at::Tensor> ps(in.begin(), in.begin() + n), gs(in.begin() + n, in.begin() + 2 * n);
  std::vector<at::Tensor> ms(in.begin() + 2 * n, in.begin() + 3 * n), vs(in.begin() + 3 * n, in.begin() + 4 * n);
  for (size_t i = 0; i < n; i++) {
    checkSlot(ps[i], gs[i], "gradient");
    checkSlot(ps[i], ms[i], "first moment");
    checkSlot(ps[i], vs[i], "second moment");
  }
  const AdamWHyper h = hyperOf(c);
  // Optional guard (one float32 value, see flagNonFinite): when it is nonzero the update is skipped.
  Optional<at::Tensor> skipIf;
  if (in.back().defined()) skipIf = in.back();
#if HC_HAS_CUDA_GRAPH
  if (const Tensors* hyper = CudaGraphRunner::capturingHyper()) {
    // inside a CUDA graph: the rate and step count are device scalars set before each replay
    std::vector<at::Tensor> steps(ps.size(), (*hyper)[1]);
    std::vector<at::Tensor> dense;
    for (const at::Tensor& g : gs) dense.push_back(g.contiguous());
    at::_fused_adamw_(ps, dense, ms, vs, {}, steps, (*hyper)[0], h.beta1, h.beta2, h.weightDecay, h.eps, false, false,
                      Optional<at::Tensor>(), skipIf);
    return {};
  }
#endif
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
      return {};
    } catch (const c10::Error& e) {
      fusedAdamwFailed_ = true;
      std::cerr << "hyperclone torch: _fused_adamw_ failed, using the per-tensor AdamW from now on: "
                << e.what_without_backtrace() << std::endl;
    }
  }
#endif
  // The per-tensor path reads the guard: free on CPU (its ops have finished), one sync on CUDA.
  if (skipIf && skipIf->item<float>() != 0) return {};
  for (size_t i = 0; i < n; i++) adamwInPlace(ps[i], gs[i], ms[i], vs[i], h);
  return {};
}

Napi::Value Engine::AdamWMany(const Napi::CallbackInfo& info) {
  std::vector<int64_t> ids;
  size_t n = 0;
  for (size_t list = 0; list < 4; list++) {
    const std::vector<int64_t> part = intListArg(info, list);
    if (list == 0) n = part.size();
    else if (part.size() != n) throw Napi::Error::New(info.Env(), "torch adamw: params, grads, first and second moments must be lists of equal length");
    ids.insert(ids.end(), part.begin(), part.end());
  }
  ids.push_back(info.Length() > 10 ? intArg(info, 10) : -1);
  return call(info, OpCall{Op::AdamWMany, ids, hyperArgs(info, 4), {}});
}

}  // namespace hc
