// Engine: one backend instance as a JS class (a device, an autocast setting, its own tensor table and its
// recorded step programs). Every op entry parses its arguments into an OpCall and runs it through call(),
// which also records it while a step is being recorded. Not the op math: that lives in ops-required.cpp,
// ops-fused.cpp, linear-cross-entropy.cpp, autograd.cpp, optimizer.cpp and grad-clip.cpp.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "boundary.h"
#include "op-call.h"
#include "step-program.h"
#include "tensor-table.h"

namespace hc {

/** Turns CUDA bf16 autocast on for the duration of one call (autocast state is thread-local). */
class AutocastGuard {
 public:
  explicit AutocastGuard(bool on);
  ~AutocastGuard();

 private:
  bool on_;
  bool previous_ = false;
};

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Engine(const Napi::CallbackInfo& info);

  // For the addon's other classes (process-group.cpp): a tensor by id, and an id for a new tensor.
  const at::Tensor& tensorAt(int64_t id) { return table_.get(id); }
  int64_t adopt(at::Tensor t) {
    if (recorder_) recorder_->refuse("a collective (process group) ran inside the step");
    return table_.add(std::move(t));
  }
  bool closed() const { return closed_; }
  const c10::Device& device() const { return device_; }
  bool autocast() const { return autocast_; }

  // The op math, one method per op (OpDef::fn): the resolved inputs and the call's numbers and lists.
  Tensors unary(const Tensors& in, const OpCall& c);
  Tensors binary(const Tensors& in, const OpCall& c);
  Tensors cast(const Tensors& in, const OpCall& c);
  Tensors sum(const Tensors& in, const OpCall& c);
  Tensors max(const Tensors& in, const OpCall& c);
  Tensors argmax(const Tensors& in, const OpCall& c);
  Tensors reshape(const Tensors& in, const OpCall& c);
  Tensors transpose(const Tensors& in, const OpCall& c);
  Tensors slice(const Tensors& in, const OpCall& c);
  Tensors concat(const Tensors& in, const OpCall& c);
  Tensors gather(const Tensors& in, const OpCall& c);
  Tensors oneHot(const Tensors& in, const OpCall& c);
  Tensors matmul(const Tensors& in, const OpCall& c);
  Tensors linear(const Tensors& in, const OpCall& c);
  Tensors dropout(const Tensors& in, const OpCall& c);
  Tensors layerNorm(const Tensors& in, const OpCall& c);
  Tensors rmsNorm(const Tensors& in, const OpCall& c);
  Tensors attention(const Tensors& in, const OpCall& c);
  Tensors crossEntropy(const Tensors& in, const OpCall& c);
  Tensors linearCrossEntropy(const Tensors& in, const OpCall& c);
  Tensors gradLeaves(const Tensors& in, const OpCall& c);
  Tensors gradients(const Tensors& in, const OpCall& c);
  Tensors adamw(const Tensors& in, const OpCall& c);
  Tensors adamwMany(const Tensors& in, const OpCall& c);
  Tensors clipGradNorm(const Tensors& in, const OpCall& c);
  Tensors flagNonFinite(const Tensors& in, const OpCall& c);

 private:
  // engine.cpp: host I/O, memory
  Napi::Value FromHost(const Napi::CallbackInfo& info);
  Napi::Value ToHost(const Napi::CallbackInfo& info);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value DType(const Napi::CallbackInfo& info);
  Napi::Value Scalar(const Napi::CallbackInfo& info);
  Napi::Value BeginScope(const Napi::CallbackInfo& info);
  Napi::Value EndScope(const Napi::CallbackInfo& info);
  Napi::Value Keep(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Live(const Napi::CallbackInfo& info);
  Napi::Value LiveBytes(const Napi::CallbackInfo& info);
  Napi::Value Sync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  // ops-required.cpp
  Napi::Value Unary(const Napi::CallbackInfo& info);
  Napi::Value Binary(const Napi::CallbackInfo& info);
  Napi::Value Cast(const Napi::CallbackInfo& info);
  Napi::Value Sum(const Napi::CallbackInfo& info);
  Napi::Value Max(const Napi::CallbackInfo& info);
  Napi::Value Argmax(const Napi::CallbackInfo& info);
  Napi::Value Reshape(const Napi::CallbackInfo& info);
  Napi::Value Transpose(const Napi::CallbackInfo& info);
  Napi::Value Slice(const Napi::CallbackInfo& info);
  Napi::Value Concat(const Napi::CallbackInfo& info);
  Napi::Value Gather(const Napi::CallbackInfo& info);
  Napi::Value OneHot(const Napi::CallbackInfo& info);
  Napi::Value Matmul(const Napi::CallbackInfo& info);
  Napi::Value Linear(const Napi::CallbackInfo& info);
  Napi::Value Dropout(const Napi::CallbackInfo& info);
  // ops-fused.cpp
  Napi::Value LayerNorm(const Napi::CallbackInfo& info);
  Napi::Value RmsNorm(const Napi::CallbackInfo& info);
  Napi::Value Attention(const Napi::CallbackInfo& info);
  Napi::Value CrossEntropy(const Napi::CallbackInfo& info);
  Napi::Value LinearCrossEntropy(const Napi::CallbackInfo& info);
  // autograd.cpp
  Napi::Value GradLeaves(const Napi::CallbackInfo& info);
  Napi::Value Gradients(const Napi::CallbackInfo& info);
  // optimizer.cpp
  Napi::Value AdamW(const Napi::CallbackInfo& info);
  Napi::Value AdamWMany(const Napi::CallbackInfo& info);
  // grad-clip.cpp
  Napi::Value ClipGradNorm(const Napi::CallbackInfo& info);
  Napi::Value SumOfSquares(const Napi::CallbackInfo& info);
  Napi::Value FlagNonFinite(const Napi::CallbackInfo& info);
  // step programs (engine.cpp)
  Napi::Value BeginRecord(const Napi::CallbackInfo& info);
  Napi::Value EndRecord(const Napi::CallbackInfo& info);
  Napi::Value AbortRecord(const Napi::CallbackInfo& info);
  Napi::Value Replay(const Napi::CallbackInfo& info);
  Napi::Value CaptureGraph(const Napi::CallbackInfo& info);
  Napi::Value ProgramState(const Napi::CallbackInfo& info);
  Napi::Value DisposeProgram(const Napi::CallbackInfo& info);

  /** Runs one entry under this engine's autocast setting and the exception guard. */
  template <typename F>
  Napi::Value run(const Napi::CallbackInfo& info, const char* op, F&& fn) {
    if (closed_) throw Napi::Error::New(info.Env(), std::string("torch ") + op + ": this backend is closed; make a new one with createTorchBackend()");
    AutocastGuard autocast(autocast_);
    return guarded(info, op, std::forward<F>(fn));
  }

  /** Runs an op: resolves its ids, calls its math, records it while a step is recording, returns its ids. */
  Napi::Value call(const Napi::CallbackInfo& info, OpCall c);

  Napi::Value put(Napi::Env env, at::Tensor t) { return Napi::Number::New(env, static_cast<double>(table_.add(std::move(t)))); }
  const at::Tensor& get(const Napi::CallbackInfo& info, size_t i) { return table_.get(intArg(info, i)); }
  std::vector<at::Tensor> getList(const Napi::CallbackInfo& info, size_t i);
  at::Tensor dropoutMask(const at::Tensor& like, double rate, uint64_t seed);
  // window: keys a causal query sees at most (0: all it may); softcap: scores become softcap · tanh(s / softcap) (0: none)
  const at::Tensor& causalMask(int64_t T, int64_t Tk, int64_t window = 0);
  const at::Tensor& causalBias(int64_t T, int64_t Tk, int64_t window = 0);
  at::Tensor manualAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale, bool causal,
                             double dropout, uint64_t seed, int64_t window, double softcap);
  // attention-cpu.cpp: manualAttention's GEMMs as one autograd node, (batch·head) slices spread over the threads
  at::Tensor slicedAttention(const at::Tensor& q3, const at::Tensor& kT, const at::Tensor& v3, double scale, bool causal,
                             double dropout, uint64_t seed, int64_t window, double softcap);

  TensorTable table_;
  /** The step being recorded (between beginRecord and endRecord), else null. */
  std::unique_ptr<StepRecorder> recorder_;
  std::unordered_map<int64_t, std::unique_ptr<StepProgram>> programs_;
  int64_t nextProgram_ = 1;
  c10::Device device_;
  bool autocast_ = false;
  bool fusedAdamwFailed_ = false;
  bool closed_ = false;
  std::map<std::tuple<int64_t, int64_t, int64_t>, at::Tensor> causalMasks_;   // (T, Tk, window)
  std::map<std::tuple<int64_t, int64_t, int64_t>, at::Tensor> causalBiases_;  // (T, Tk, window)
};

/**
 * Under autocast a linear layer's bf16 matmul output meets its fp32 bias; nn.Linear adds the bias inside the
 * bf16 addmm, so the 1-D fp32 operand joins in bf16 too (residual adds keep fp32 promotion).
 */
inline void biasJoinsReducedPrecision(at::Tensor& a, at::Tensor& b) {
  auto reduced = [](const at::Tensor& t) { return t.scalar_type() == at::kBFloat16 && t.dim() >= 2; };
  auto fp32Bias = [](const at::Tensor& t) { return t.scalar_type() == at::kFloat && t.dim() == 1; };
  if (reduced(a) && fp32Bias(b)) b = b.to(at::kBFloat16);
  else if (reduced(b) && fp32Bias(a)) a = a.to(at::kBFloat16);
}

/** Floating results stay as they are (float32, or bf16 under autocast); integers become int32, bools float32. */
inline at::Tensor normalized(at::Tensor t) {
  if (t.is_floating_point() || t.scalar_type() == at::kInt) return t;
  if (t.scalar_type() == at::kBool) return t.to(at::kFloat);
  return t.to(at::kInt);
}

}  // namespace hc
