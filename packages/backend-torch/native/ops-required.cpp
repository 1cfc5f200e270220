// The Backend interface's required ops on libtorch: elementwise, reductions, layout, indexing, matmul, dropout.
// Not the fused ops (ops-fused.cpp); codes for unary/binary must match src/op-codes.ts.
#include <cmath>

#include "engine.h"

namespace hc {

enum UnaryCode { kNeg = 0, kExp, kLog, kSqrt, kTanh, kSigmoid, kGelu, kSilu, kSoftmax, kLogSoftmax, kErf, kRelu, kGeluExact };
enum BinaryCode { kAdd = 0, kSub, kMul, kDiv, kEqual };

static at::Tensor unaryOp(int64_t code, const at::Tensor& x) {
  switch (code) {
    case kNeg: return at::neg(x);
    case kExp: return at::exp(x);
    case kLog: return at::log(x);
    case kSqrt: return at::sqrt(x);
    case kTanh: return at::tanh(x);
    case kSigmoid: return at::sigmoid(x);
    case kGelu: return at::gelu(x, "tanh");
    case kSilu: return at::silu(x);
    case kSoftmax: return at::softmax(x, -1);
    case kLogSoftmax: return at::log_softmax(x, -1);
    case kErf: return at::erf(x);
    case kRelu: return at::relu(x);
    case kGeluExact: return at::gelu(x);
    default: throw std::runtime_error("unknown unary op code " + std::to_string(code));
  }
}

static at::Tensor binaryOp(int64_t code, const at::Tensor& a, const at::Tensor& b) {
  switch (code) {
    case kAdd: return at::add(a, b);
    case kSub: return at::sub(a, b);
    case kMul: return at::mul(a, b);
    case kDiv: return at::div(a, b);
    case kEqual: return at::eq(a, b).to(at::kFloat);
    default: throw std::runtime_error("unknown binary op code " + std::to_string(code));
  }
}

Napi::Value Engine::Unary(const Napi::CallbackInfo& info) {
  return run(info, "unary op", [&]() -> Napi::Value { return put(info.Env(), unaryOp(intArg(info, 0), get(info, 1))); });
}

/**
 * Under autocast a linear layer's bf16 matmul output meets its fp32 bias here; nn.Linear adds the bias
 * inside the bf16 addmm, so the 1-D fp32 operand joins in bf16 too (residual adds keep fp32 promotion).
 */
static void biasJoinsReducedPrecision(at::Tensor& a, at::Tensor& b) {
  auto reduced = [](const at::Tensor& t) { return t.scalar_type() == at::kBFloat16 && t.dim() >= 2; };
  auto fp32Bias = [](const at::Tensor& t) { return t.scalar_type() == at::kFloat && t.dim() == 1; };
  if (reduced(a) && fp32Bias(b)) b = b.to(at::kBFloat16);
  else if (reduced(b) && fp32Bias(a)) a = a.to(at::kBFloat16);
}

Napi::Value Engine::Binary(const Napi::CallbackInfo& info) {
  return run(info, "binary op", [&]() -> Napi::Value {
    const int64_t code = intArg(info, 0);
    at::Tensor a = get(info, 1), b = get(info, 2);
    if (autocast_ && code == kAdd) biasJoinsReducedPrecision(a, b);
    return put(info.Env(), normalized(binaryOp(code, a, b)));
  });
}

Napi::Value Engine::Cast(const Napi::CallbackInfo& info) {
  return run(info, "cast", [&]() -> Napi::Value {
    const at::Tensor& x = get(info, 0);
    // float -> int32 truncates toward zero (as tfjs does).
    return put(info.Env(), x.to(intArg(info, 1) == 0 ? at::kFloat : at::kInt));
  });
}

Napi::Value Engine::Sum(const Napi::CallbackInfo& info) {
  return run(info, "sum", [&]() -> Napi::Value {
    const at::Tensor& x = get(info, 0);
    const std::vector<int64_t> axes = intListArg(info, 1);
    if (axes.empty()) return put(info.Env(), x.clone());  // libtorch would sum over every axis
    return put(info.Env(), normalized(at::sum(x, axes, boolArg(info, 2))));
  });
}

Napi::Value Engine::Max(const Napi::CallbackInfo& info) {
  // amax: the gradient is shared among tied maxima, like tfjs's max.
  return run(info, "max", [&]() -> Napi::Value {
    return put(info.Env(), at::amax(get(info, 0), {intArg(info, 1)}, boolArg(info, 2)));
  });
}

Napi::Value Engine::Argmax(const Napi::CallbackInfo& info) {
  return run(info, "argmax", [&]() -> Napi::Value {
    return put(info.Env(), at::argmax(get(info, 0), intArg(info, 1), false).to(at::kInt));
  });
}

Napi::Value Engine::Reshape(const Napi::CallbackInfo& info) {
  return run(info, "reshape", [&]() -> Napi::Value { return put(info.Env(), at::reshape(get(info, 0), intListArg(info, 1))); });
}

Napi::Value Engine::Transpose(const Napi::CallbackInfo& info) {
  return run(info, "transpose", [&]() -> Napi::Value { return put(info.Env(), get(info, 0).permute(intListArg(info, 1))); });
}

Napi::Value Engine::Slice(const Napi::CallbackInfo& info) {
  return run(info, "slice", [&]() -> Napi::Value {
    at::Tensor x = get(info, 0);
    const std::vector<int64_t> begin = intListArg(info, 1);
    const std::vector<int64_t> size = intListArg(info, 2);
    if (begin.size() > static_cast<size_t>(x.dim()) || size.size() != begin.size()) {
      throw std::runtime_error("slice needs begin and size of equal length, at most the rank");
    }
    for (size_t d = 0; d < begin.size(); d++) {
      const int64_t length = size[d] < 0 ? x.size(d) - begin[d] : size[d];  // -1: to the end
      x = x.narrow(static_cast<int64_t>(d), begin[d], length);
    }
    return put(info.Env(), x);
  });
}

Napi::Value Engine::Concat(const Napi::CallbackInfo& info) {
  return run(info, "concat", [&]() -> Napi::Value { return put(info.Env(), at::cat(getList(info, 0), intArg(info, 1))); });
}

Napi::Value Engine::Gather(const Napi::CallbackInfo& info) {
  // embedding: rows of table [N, C] at indices S -> [...S, C], with a dense scatter-add backward.
  return run(info, "gather", [&]() -> Napi::Value {
    return put(info.Env(), at::embedding(get(info, 0), get(info, 1).to(at::kLong)));
  });
}

Napi::Value Engine::OneHot(const Napi::CallbackInfo& info) {
  return run(info, "oneHot", [&]() -> Napi::Value {
    const at::Tensor indices = get(info, 0).to(at::kLong);
    const at::Tensor classes = at::arange(intArg(info, 1), indices.options());  // (depth)
    return put(info.Env(), at::eq(indices.unsqueeze(-1), classes).to(at::kFloat));  // out of range: all zeros
  });
}

Napi::Value Engine::Matmul(const Napi::CallbackInfo& info) {
  return run(info, "matmul", [&]() -> Napi::Value {
    at::Tensor a = get(info, 0);
    at::Tensor b = get(info, 1);
    if (boolArg(info, 2)) a = a.transpose(-2, -1);  // views: BLAS reads them transposed, no copy
    if (boolArg(info, 3)) b = b.transpose(-2, -1);
    return put(info.Env(), at::matmul(a, b));
  });
}

at::Tensor Engine::dropoutMask(const at::Tensor& like, double rate, uint64_t seed) {
  // A fresh generator per call, seeded: the same seed gives the same mask on the same device.
  at::Generator gen;
  {
    at::Generator base = at::globalContext().defaultGenerator(like.device());  // a handle: shares the impl
    std::lock_guard<std::mutex> lock(base.mutex());
    gen = base.clone();
  }
  gen.set_current_seed(seed);
  const double keep = 1.0 - rate;
  at::Tensor mask = at::empty_like(like).bernoulli_(keep, gen);
  return mask.div_(keep);  // inverted dropout: kept values scaled by 1/keep
}

Napi::Value Engine::Dropout(const Napi::CallbackInfo& info) {
  return run(info, "dropout", [&]() -> Napi::Value {
    const at::Tensor& x = get(info, 0);
    const double rate = numberArg(info, 1);
    if (!(rate >= 0 && rate < 1)) throw std::runtime_error("dropout rate must be in [0, 1) (got " + std::to_string(rate) + ")");
    if (rate == 0) return put(info.Env(), x);
    const uint64_t seed = static_cast<uint64_t>(std::llround(std::fabs(numberArg(info, 2))));
    return put(info.Env(), x * dropoutMask(x, rate, seed));
  });
}

}  // namespace hc
