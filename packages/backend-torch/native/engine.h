// Engine: one backend instance as a JS class (a device, an autocast setting and its own tensor table).
// Not the op math: that lives in ops-required.cpp, ops-fused.cpp, autograd.cpp, optimizer.cpp and grad-clip.cpp.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <map>
#include <tuple>
#include <utility>

#include "boundary.h"
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
  int64_t adopt(at::Tensor t) { return table_.add(std::move(t)); }
  bool closed() const { return closed_; }
  const c10::Device& device() const { return device_; }

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
  Napi::Value Dropout(const Napi::CallbackInfo& info);
  // ops-fused.cpp
  Napi::Value LayerNorm(const Napi::CallbackInfo& info);
  Napi::Value RmsNorm(const Napi::CallbackInfo& info);
  Napi::Value Attention(const Napi::CallbackInfo& info);
  Napi::Value CrossEntropy(const Napi::CallbackInfo& info);
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

  /** Runs one op under this engine's autocast setting and the exception guard. */
  template <typename F>
  Napi::Value run(const Napi::CallbackInfo& info, const char* op, F&& fn) {
    if (closed_) throw Napi::Error::New(info.Env(), std::string("torch ") + op + ": this backend is closed; make a new one with createTorchBackend()");
    AutocastGuard autocast(autocast_);
    return guarded(info, op, std::forward<F>(fn));
  }

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
  c10::Device device_;
  bool autocast_ = false;
  bool fusedAdamwFailed_ = false;
  bool closed_ = false;
  std::map<std::tuple<int64_t, int64_t, int64_t>, at::Tensor> causalMasks_;   // (T, Tk, window)
  std::map<std::tuple<int64_t, int64_t, int64_t>, at::Tensor> causalBiases_;  // (T, Tk, window)
};

/** Floating results stay as they are (float32, or bf16 under autocast); integers become int32, bools float32. */
inline at::Tensor normalized(at::Tensor t) {
  if (t.is_floating_point() || t.scalar_type() == at::kInt) return t;
  if (t.scalar_type() == at::kBool) return t.to(at::kFloat);
  return t.to(at::kInt);
}

}  // namespace hc
