// The linear layer y = x·Wᵀ (+ bias) as one engine op. On CPU with more than one thread it is one autograd
// node whose GEMMs go to the threads whole (cpu-gemms.h): the forward in row blocks, one per thread, and the
// backward's two GEMMs (dx = dy·W, dW = dyᵀ·x) side by side, each on one thread (with more than two threads,
// each in row blocks over half of them). Elsewhere (one thread, CUDA)
// it is the composition the model made before, matmul then add, with those ops' bits.
// Not attention's GEMMs (attention-cpu.cpp) nor the head's (linear-cross-entropy.cpp).
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "cpu-gemms.h"
#include "engine.h"

namespace hc {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct LinearCpuFn : public torch::autograd::Function<LinearCpuFn> {
  // x (N, in), w (out, in), bias (out) or empty
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
    const bool hasBias = bias.numel() > 0;
    at::Tensor y = at::empty({x.size(0), w.size(0)}, x.options());
    std::vector<GemmTask> tasks;
    appendRowBlocks(tasks, y, x, w.t(), gemmThreads());
    runGemms(tasks);
    if (hasBias) y = at::add(y, bias);  // the composition's add: the same bits as the old matmul-then-add
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias"] = hasBias;
    return y;
  }

  // autograd's mm backward for y = x·Wᵀ: dx = dy·W (mm_mat1_backward), dW = (dyᵀ·x) (mm_mat2_backward for the
  // column-major Wᵀ); the add's: dbias = dy summed to the bias's shape. Each GEMM whole, on one thread.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1];
    const at::Tensor dy = grads[0].contiguous();
    at::Tensor dx, dw, db;
    // two threads: each GEMM whole on one of them; more: each GEMM in row blocks over half the threads
    const int64_t blocks = std::max<int64_t>(1, gemmThreads() / 2);
    std::vector<GemmTask> tasks;
    if (ctx->needs_input_grad(0)) {
      dx = at::empty({dy.size(0), w.size(1)}, dy.options());
      appendRowBlocks(tasks, dx, dy, w, blocks);
    }
    if (ctx->needs_input_grad(1)) {
      dw = at::empty({w.size(0), w.size(1)}, dy.options());
      appendRowBlocks(tasks, dw, dy.t(), x, blocks);
    }
    runGemms(tasks);
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = at::sum_to(dy, std::vector<int64_t>{w.size(0)});
    return {dx, dw, db};
  }
};

}  // namespace

/** linear: tensors [x (..., in), w (out, in), bias (out) or absent]. */
Tensors Engine::linear(const Tensors& in, const OpCall& c) {
  const at::Tensor& x = in[0];
  const at::Tensor& w = in[1];
  std::vector<int64_t> shape = x.sizes().vec();
  const at::Tensor x2 = at::reshape(x, {-1, shape.back()});  // (N, in)
  at::Tensor y;
  if (spreadGemms(x) && x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat) {
    y = LinearCpuFn::apply(x2, w, in[2].defined() ? in[2] : at::empty({0}, w.options()));
  } else {
    y = at::matmul(x2, w.transpose(-2, -1));  // (N, out)
    if (in[2].defined()) {
      at::Tensor bias = in[2];
      if (autocast_) biasJoinsReducedPrecision(y, bias);
      y = normalized(at::add(y, bias));
    }
  }
  shape.back() = w.size(0);
  return {at::reshape(y, shape)};
}

Napi::Value Engine::Linear(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Linear, {intArg(info, 0), intArg(info, 1), intArg(info, 2)}, {}, {}});
}

}  // namespace hc
