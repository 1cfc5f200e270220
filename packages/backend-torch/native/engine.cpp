// Engine construction, host I/O (one copy each way), tidy scopes and disposal, the one path every op
// call takes (call), and the entries that record, replay and capture step programs.
// Not the ops: see ops-required.cpp and ops-fused.cpp; not the programs themselves (step-program.cpp).
#include "engine.h"

#include <ATen/autocast_mode.h>
#include <ATen/record_function.h>
#include <torch/cuda.h>

#include <cstring>

#include "compat.h"
#include "cuda-graph.h"

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

Napi::Value Engine::call(const Napi::CallbackInfo& info, OpCall c) {
  const OpDef& def = opDef(c.op);
  return run(info, def.name, [&]() -> Napi::Value {
    RECORD_USER_SCOPE(def.name);
    Tensors in;
    in.reserve(c.ids.size());
    for (int64_t id : c.ids) in.push_back(id >= 0 ? table_.get(id) : at::Tensor());
    Tensors out = (this->*def.fn)(in, c);
    std::vector<int64_t> ids;
    ids.reserve(out.size());
    for (at::Tensor& t : out) ids.push_back(table_.add(std::move(t)));
    if (recorder_) {
      const char* why = def.unrecordable ? def.unrecordable(c) : nullptr;
      if (why) recorder_->refuse(why);
      else recorder_->record(c, in, ids);
    }
    switch (def.result) {
      case OpResult::One: return Napi::Number::New(info.Env(), static_cast<double>(ids.at(0)));
      case OpResult::List: return toJsArray(info.Env(), ids);
      case OpResult::None: break;
    }
    return info.Env().Undefined();
  });
}

Napi::Value Engine::ToHost(const Napi::CallbackInfo& info) {
  return run(info, "toHost", [&]() -> Napi::Value {
    const at::Tensor& t = get(info, 0);
    if (recorder_) recorder_->refuse("the step read a value back to the host");
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

/** beginRecord(inputIds): from here on every op is recorded; the inputs become the program's batch buffers. */
Napi::Value Engine::BeginRecord(const Napi::CallbackInfo& info) {
  return run(info, "recordStep", [&]() -> Napi::Value {
    if (recorder_) throw std::runtime_error("a step is already being recorded");
    const std::vector<int64_t> ids = intListArg(info, 0);
    Tensors inputs;
    for (int64_t id : ids) inputs.push_back(table_.get(id));
    recorder_ = std::make_unique<StepRecorder>(ids, inputs, table_.nextId());
    return info.Env().Undefined();
  });
}

/** endRecord(outputIds) -> a program id, or the reason (a string) the step could not be recorded. */
Napi::Value Engine::EndRecord(const Napi::CallbackInfo& info) {
  return run(info, "recordStep", [&]() -> Napi::Value {
    if (!recorder_) throw std::runtime_error("no step is being recorded");
    std::unique_ptr<StepRecorder> recorder = std::move(recorder_);
    if (!recorder->refusal().empty()) return Napi::String::New(info.Env(), recorder->refusal());
    const int64_t id = nextProgram_++;
    programs_[id] = recorder->finish(intListArg(info, 0), table_);
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  });
}

Napi::Value Engine::AbortRecord(const Napi::CallbackInfo& info) {
  recorder_.reset();
  return info.Env().Undefined();
}

static StepProgram& programAt(std::unordered_map<int64_t, std::unique_ptr<StepProgram>>& programs, int64_t id) {
  auto it = programs.find(id);
  if (it == programs.end()) throw std::runtime_error("step program #" + std::to_string(id) + " was disposed");
  return *it->second;
}

/** Copies one batch array into a program's fixed input buffer (on CUDA: one host-to-device copy). */
static void fillInput(const at::Tensor& buffer, Napi::TypedArray array) {
  const bool isInt = array.TypedArrayType() == napi_int32_array;
  if (!isInt && array.TypedArrayType() != napi_float32_array) throw std::runtime_error("replay inputs must be Int32Array or Float32Array");
  if (static_cast<int64_t>(array.ElementLength()) != buffer.numel() || (isInt != (buffer.scalar_type() == at::kInt))) {
    throw std::runtime_error("replay input of " + std::to_string(array.ElementLength()) + (isInt ? " int32" : " float32") +
                             " values does not fit the recorded buffer " + c10::str(buffer.sizes()) + " " +
                             std::string(c10::toString(buffer.scalar_type())));
  }
  auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  if (buffer.is_cpu()) {
    std::memcpy(buffer.data_ptr(), data, static_cast<size_t>(buffer.nbytes()));
  } else {
    buffer.copy_(at::from_blob(data, buffer.sizes(), buffer.options().device(at::kCPU)), /*non_blocking=*/false);
  }
}

/**
 * replay(program, inputs, lr, step) -> output ids, or null when a tensor the program reads from before its
 * recording is gone (the parameters were replaced): record the step again.
 */
Napi::Value Engine::Replay(const Napi::CallbackInfo& info) {
  return run(info, "replayStep", [&]() -> Napi::Value {
    RECORD_USER_SCOPE("replayStep");
    if (recorder_) throw std::runtime_error("cannot replay a step while one is being recorded");
    StepProgram& program = programAt(programs_, intArg(info, 0));
    if (program.staleId(table_) >= 0) return info.Env().Null();
    Napi::Array arrays = info[1].As<Napi::Array>();
    if (arrays.Length() != program.inputs().size()) {
      throw std::runtime_error("replay takes " + std::to_string(program.inputs().size()) + " input arrays, got " +
                               std::to_string(arrays.Length()));
    }
    for (uint32_t k = 0; k < arrays.Length(); k++) fillInput(program.inputs()[k], arrays.Get(k).As<Napi::TypedArray>());
    const Tensors out = program.run(*this, StepHyper{numberArg(info, 2), numberArg(info, 3)});
    std::vector<int64_t> ids;
    for (const at::Tensor& t : out) ids.push_back(table_.add(t));
    return toJsArray(info.Env(), ids);
  });
}

/** captureGraph(program, lr, step, warmups) -> true, or the reason (a string) it stays an uncaptured replay. */
Napi::Value Engine::CaptureGraph(const Napi::CallbackInfo& info) {
  return run(info, "captureGraph", [&]() -> Napi::Value {
    StepProgram& program = programAt(programs_, intArg(info, 0));
    std::string why;
    program.graph = CudaGraphRunner::capture(*this, program, StepHyper{numberArg(info, 1), numberArg(info, 2)},
                                             static_cast<int>(intArg(info, 3)), &why);
    if (!program.graph) return Napi::String::New(info.Env(), why);
    return Napi::Boolean::New(info.Env(), true);
  });
}

/** programState(program) -> {instructions, inputs, graph}: graph is "none", "captured", warming up, or why a capture failed. */
Napi::Value Engine::ProgramState(const Napi::CallbackInfo& info) {
  return run(info, "programState", [&]() -> Napi::Value {
    StepProgram& program = programAt(programs_, intArg(info, 0));
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("instructions", Napi::Number::New(info.Env(), static_cast<double>(program.size())));
    out.Set("inputs", Napi::Number::New(info.Env(), static_cast<double>(program.inputs().size())));
    out.Set("graph", Napi::String::New(info.Env(), program.graph ? program.graph->state() : "none"));
    return out;
  });
}

Napi::Value Engine::DisposeProgram(const Napi::CallbackInfo& info) {
  programs_.erase(intArg(info, 0));
  return info.Env().Undefined();
}

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  recorder_.reset();
  programs_.clear();
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
                         InstanceMethod("linear", &Engine::Linear),
                         InstanceMethod("dropout", &Engine::Dropout),
                         InstanceMethod("layerNorm", &Engine::LayerNorm),
                         InstanceMethod("rmsNorm", &Engine::RmsNorm),
                         InstanceMethod("attention", &Engine::Attention),
                         InstanceMethod("crossEntropy", &Engine::CrossEntropy),
                         InstanceMethod("linearCrossEntropy", &Engine::LinearCrossEntropy),
                         InstanceMethod("gradLeaves", &Engine::GradLeaves),
                         InstanceMethod("gradients", &Engine::Gradients),
                         InstanceMethod("adamw", &Engine::AdamW),
                         InstanceMethod("adamwMany", &Engine::AdamWMany),
                         InstanceMethod("clipGradNorm", &Engine::ClipGradNorm),
                         InstanceMethod("sumOfSquares", &Engine::SumOfSquares),
                         InstanceMethod("flagNonFinite", &Engine::FlagNonFinite),
                         InstanceMethod("beginRecord", &Engine::BeginRecord),
                         InstanceMethod("endRecord", &Engine::EndRecord),
                         InstanceMethod("abortRecord", &Engine::AbortRecord),
                         InstanceMethod("replay", &Engine::Replay),
                         InstanceMethod("captureGraph", &Engine::CaptureGraph),
                         InstanceMethod("programState", &Engine::ProgramState),
                         InstanceMethod("disposeProgram", &Engine::DisposeProgram),
                     });
}

}  // namespace hc
