// The Backend interface's required ops on libtorch: elementwise, reductions, layout, indexing, matmul, dropout;
// each an entry that parses its arguments into an OpCall and the math that runs it (eager or replayed).
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

Tensors Engine::unary(const Tensors& in, const OpCall& c) { return {unaryOp(static_cast<int64_t>(c.numbers[0]), in[0])}; }

Napi::Value Engine::Unary(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Unary, {intArg(info, 1)}, {numberArg(info, 0)}, {}});
}

Tensors Engine::binary(const Tensors& in, const OpCall& c) {
  const int64_t code = static_cast<int64_t>(c.numbers[0]);
  at::Tensor a = in[0], b = in[1];
  if (autocast_ && code == kAdd) biasJoinsReducedPrecision(a, b);
  return {normalized(binaryOp(code, a, b))};
}

Napi::Value Engine::Binary(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Binary, {intArg(info, 1), intArg(info, 2)}, {numberArg(info, 0)}, {}});
}

Tensors Engine::cast(const Tensors& in, const OpCall& c) {
  // float -> int32 truncates toward zero (as tfjs does).
  return {in[0].to(c.numbers[0] == 0 ? at::kFloat : at::kInt)};
}

Napi::Value Engine::Cast(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Cast, {intArg(info, 0)}, {numberArg(info, 1)}, {}});
}

Tensors Engine::sum(const Tensors& in, const OpCall& c) {
  const std::vector<int64_t>& axes = c.lists[0];
  if (axes.empty()) return {in[0].clone()};  // libtorch would sum over every axis
  return {normalized(at::sum(in[0], axes, c.numbers[0] != 0))};
}

Napi::Value Engine::Sum(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Sum, {intArg(info, 0)}, {boolArg(info, 2) ? 1.0 : 0.0}, {intListArg(info, 1)}});
}

Tensors Engine::max(const Tensors& in, const OpCall& c) {
  // amax: the gradient is shared among tied maxima, like tfjs's max.
  return {at::amax(in[0], {static_cast<int64_t>(c.numbers[0])}, c.numbers[1] != 0)};
}

Napi::Value Engine::Max(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Max, {intArg(info, 0)}, {numberArg(info, 1), boolArg(info, 2) ? 1.0 : 0.0}, {}});
}

Tensors Engine::argmax(const Tensors& in, const OpCall& c) {
  return {at::argmax(in[0], static_cast<int64_t>(c.numbers[0]), false).to(at::kInt)};
}

Napi::Value Engine::Argmax(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Argmax, {intArg(info, 0)}, {numberArg(info, 1)}, {}});
}

Tensors Engine::reshape(const Tensors& in, const OpCall& c) { return {at::reshape(in[0], c.lists[0])}; }

Napi::Value Engine::Reshape(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Reshape, {intArg(info, 0)}, {}, {intListArg(info, 1)}});
}

Tensors Engine::transpose(const Tensors& in, const OpCall& c) { return {in[0].permute(c.lists[0])}; }

Napi::Value Engine::Transpose(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Transpose, {intArg(info, 0)}, {}, {intListArg(info, 1)}});
}

Tensors Engine::slice(const Tensors& in, const OpCall& c) {
  at::Tensor x = in[0];
  const std::vector<int64_t>& begin = c.lists[0];
  const std::vector<int64_t>& size = c.lists[1];
  if (begin.size() > static_cast<size_t>(x.dim()) || size.size() != begin.size()) {
    throw std::runtime_error("slice needs begin and size of equal length, at most the rank");
  }
  for (size_t d = 0; d < begin.size(); d++) {
    const int64_t length = size[d] < 0 ? x.size(d) - begin[d] : size[d];  // -1: to the end
    x = x.narrow(static_cast<int64_t>(d), begin[d], length);
  }
  return {x};
}

Napi::Value Engine::Slice(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Slice, {intArg(info, 0)}, {}, {intListArg(info, 1), intListArg(info, 2)}});
}

Tensors Engine::concat(const Tensors& in, const OpCall& c) { return {at::cat(in, static_cast<int64_t>(c.numbers[0]))}; }

Napi::Value Engine::Concat(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Concat, intListArg(info, 0), {numberArg(info, 1)}, {}});
}

Tensors Engine::gather(const Tensors& in, const OpCall& c) {
  // embedding: rows of table [N, C] at indices S -> [...S, C], with a dense scatter-add backward.
  return {at::embedding(in[0], in[1].to(at::kLong))};
}

Napi::Value Engine::Gather(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Gather, {intArg(info, 0), intArg(info, 1)}, {}, {}});
}

Tensors Engine::oneHot(const Tensors& in, const OpCall& c) {
  const at::Tensor indices = in[0].to(at::kLong);
  const at::Tensor classes = at::arange(static_cast<int64_t>(c.numbers[0]), indices.options());  // (depth)
  return {at::eq(indices.unsqueeze(-1), classes).to(at::kFloat)};  // out of range: all zeros
}

Napi::Value Engine::OneHot(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::OneHot, {intArg(info, 0)}, {numberArg(info, 1)}, {}});
}

Tensors Engine::matmul(const Tensors& in, const OpCall& c) {
  at::Tensor a = in[0];
  at::Tensor b = in[1];
  if (c.numbers[0] != 0) a = a.transpose(-2, -1);  // views: BLAS reads them transposed, no copy
  if (c.numbers[1] != 0) b = b.transpose(-2, -1);
  return {at::matmul(a, b)};
}

Napi::Value Engine::Matmul(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Matmul, {intArg(info, 0), intArg(info, 1)}, {boolArg(info, 2) ? 1.0 : 0.0, boolArg(info, 3) ? 1.0 : 0.0}, {}});
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

Tensors Engine::dropout(const Tensors& in, const OpCall& c) {
  const at::Tensor& x = in[0];
  const double rate = c.numbers[0];
  if (!(rate >= 0 && rate < 1)) throw std::runtime_error("dropout rate must be in [0, 1) (got " + std::to_string(rate) + ")");
  if (rate == 0) return {x};
  const uint64_t seed = static_cast<uint64_t>(std::llround(std::fabs(c.numbers[1])));
  return {x * dropoutMask(x, rate, seed)};
}

Napi::Value Engine::Dropout(const Napi::CallbackInfo& info) {
  return call(info, OpCall{Op::Dropout, {intArg(info, 0)}, {numberArg(info, 1), numberArg(info, 2)}, {}});
}

}  // namespace hc
