// Engine construction, host I/O (one copy each way), tidy scopes and disposal.
// Not the ops: see ops-required.cpp and ops-fused.cpp.
#include "engine.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>

#include "compat.h"

namespace hc {

AutocastGuard::AutocastGuard(bool on) : on_(on) {
  if (!on_) return;
#if HC_AUTOCAST_PER_DEVICE
  previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  previous_ = at::autocast::is_enabled();
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
}

AutocastGuard::~AutocastGuard() {
  if (!on_) return;
#if HC_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, previous_);
#else
  at::autocast::set_enabled(previous_);
#endif
}

static c10::Device parseDevice(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  c10::Device device(name);  // throws on a malformed name
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw std::runtime_error("device \"" + name + "\" asked for, but this libtorch has no CUDA or sees no GPU");
  }
  if (!device.is_cpu() && !device.is_cuda()) throw std::runtime_error("device must be cpu or cuda (got " + name + ")");
  return device;
}

static c10::Device deviceFromArgs(const Napi::CallbackInfo& info) {
  try {
    return parseDevice(info);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string("torch engine: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("torch engine: ") + e.what());
  }
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info), device_(deviceFromArgs(info)) {
  autocast_ = info.Length() > 1 && boolArg(info, 1);
  if (autocast_ && !device_.is_cuda()) throw Napi::Error::New(info.Env(), "torch engine: bf16 autocast needs a cuda device");
}

std::vector<at::Tensor> Engine::getList(const Napi::CallbackInfo& info, size_t i) {
  std::vector<at::Tensor> out;
  for (int64_t id : intListArg(info, i)) out.push_back(table_.get(id));
  return out;
}

Napi::Value Engine::FromHost(const Napi::CallbackInfo& info) {
  return run(info, "fromHost", [&]() -> Napi::Value {
    Napi::TypedArray array = info[0].As<Napi::TypedArray>();
    const std::vector<int64_t> shape = intListArg(info, 1);
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    if (numel != static_cast<int64_t>(array.ElementLength())) {
      throw std::runtime_error("shape holds " + std::to_string(numel) + " values but the data has " +
                               std::to_string(array.ElementLength()));
    }
    at::ScalarType dtype;
    if (array.TypedArrayType() == napi_float32_array) dtype = at::kFloat;
    else if (array.TypedArrayType() == napi_int32_array) dtype = at::kInt;
    else throw std::runtime_error("host data must be a Float32Array or an Int32Array");
    auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    at::Tensor view = at::from_blob(numel > 0 ? data : nullptr, shape, at::TensorOptions().dtype(dtype));
    // One copy: into libtorch's allocator on the engine's device (JS memory may move or be collected).
    at::Tensor t = device_.is_cpu() ? view.clone() : view.to(device_, /*non_blocking=*/false, /*copy=*/true);
    return put(info.Env(), t);
  });
}

Napi::Value Engine::ToHost(const Napi::CallbackInfo& info) {
  return run(info, "toHost", [&]() -> Napi::Value {
    const at::Tensor& t = get(info, 0);
    const size_t n = static_cast<size_t>(t.numel());
    const bool isInt = !t.is_floating_point();
    Napi::TypedArray out;
    void* data;
    if (isInt) {
      Napi::Int32Array a = Napi::Int32Array::New(info.Env(), n);
      data = a.Data();
      out = a;
    } else {
      Napi::Float32Array a = Napi::Float32Array::New(info.Env(), n);
      data = a.Data();
      out = a;
    }
    // One copy: straight from the tensor (any device, layout or float type) into the JS array.
    if (n > 0) at::from_blob(data, t.sizes(), at::TensorOptions().dtype(isInt ? at::kInt : at::kFloat)).copy_(t);
    return out;
  });
}

Napi::Value Engine::Shape(const Napi::CallbackInfo& info) {
  return run(info, "shape", [&]() -> Napi::Value { return toJsArray(info.Env(), get(info, 0).sizes().vec()); });
}

Napi::Value Engine::DType(const Napi::CallbackInfo& info) {
  return run(info, "dtype", [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), get(info, 0).is_floating_point() ? 0 : 1);
  });
}

Napi::Value Engine::Scalar(const Napi::CallbackInfo& info) {
  // A 0-dim CPU tensor: libtorch treats it as a scalar next to CUDA tensors, so no host->device copy.
  return run(info, "scalar", [&]() -> Napi::Value { return put(info.Env(), at::scalar_tensor(numberArg(info, 0), at::kFloat)); });
}

Napi::Value Engine::BeginScope(const Napi::CallbackInfo& info) {
  table_.beginScope();
  return info.Env().Undefined();
}

Napi::Value Engine::EndScope(const Napi::CallbackInfo& info) {
  return run(info, "tidy", [&]() -> Napi::Value {
    table_.endScope(intListArg(info, 0));
    return info.Env().Undefined();
  });
}

Napi::Value Engine::Keep(const Napi::CallbackInfo& info) {
  table_.keep(intArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value Engine::Dispose(const Napi::CallbackInfo& info) {
  return run(info, "dispose", [&]() -> Napi::Value {
    for (int64_t id : intListArg(info, 0)) table_.dispose(id);
    return info.Env().Undefined();
  });
}

Napi::Value Engine::Live(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(table_.size()));
}

Napi::Value Engine::LiveBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(table_.storageBytes()));
}

Napi::Value Engine::Sync(const Napi::CallbackInfo& info) {
  return run(info, "sync", [&]() -> Napi::Value {
    if (device_.is_cuda()) torch::cuda::synchronize(device_.has_index() ? device_.index() : -1);
    return info.Env().Undefined();
  });
}

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  table_.clear();
  causalMasks_.clear();
  causalBiases_.clear();
  closed_ = true;
  return info.Env().Undefined();
}

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceMethod("fromHost", &Engine::FromHost),
                         InstanceMethod("toHost", &Engine::ToHost),
                         InstanceMethod("shape", &Engine::Shape),
                         InstanceMethod("dtype", &Engine::DType),
                         InstanceMethod("scalar", &Engine::Scalar),
                         InstanceMethod("beginScope", &Engine::BeginScope),
                         InstanceMethod("endScope", &Engine::EndScope),
                         InstanceMethod("keep", &Engine::Keep),
                         InstanceMethod("dispose", &Engine::Dispose),
                         InstanceMethod("live", &Engine::Live),
                         InstanceMethod("liveBytes", &Engine::LiveBytes),
                         InstanceMethod("sync", &Engine::Sync),
                         InstanceMethod("close", &Engine::Close),
                         InstanceMethod("unary", &Engine::Unary),
                         InstanceMethod("binary", &Engine::Binary),
                         InstanceMethod("cast", &Engine::Cast),
                         InstanceMethod("sum", &Engine::Sum),
                         InstanceMethod("max", &Engine::Max),
                         InstanceMethod("argmax", &Engine::Argmax),
                         InstanceMethod("reshape", &Engine::Reshape),
                         InstanceMethod("transpose", &Engine::Transpose),
                         InstanceMethod("slice", &Engine::Slice),
                         InstanceMethod("concat", &Engine::Concat),
                         InstanceMethod("gather", &Engine::Gather),
                         InstanceMethod("oneHot", &Engine::OneHot),
                         InstanceMethod("matmul", &Engine::Matmul),
                         InstanceMethod("dropout", &Engine::Dropout),
                         InstanceMethod("layerNorm", &Engine::LayerNorm),
                         InstanceMethod("rmsNorm", &Engine::RmsNorm),
                         InstanceMethod("attention", &Engine::Attention),
                         InstanceMethod("crossEntropy", &Engine::CrossEntropy),
                         InstanceMethod("gradLeaves", &Engine::GradLeaves),
                         InstanceMethod("gradients", &Engine::Gradients),
                         InstanceMethod("adamw", &Engine::AdamW),
                         InstanceMethod("adamwMany", &Engine::AdamWMany),
                         InstanceMethod("clipGradNorm", &Engine::ClipGradNorm),
                         InstanceMethod("sumOfSquares", &Engine::SumOfSquares),
                         InstanceMethod("flagNonFinite", &Engine::FlagNonFinite),
                     });
}

}  // namespace hc
