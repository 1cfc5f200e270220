// The addon's entry point: module-level functions (version, CUDA, threads, the op profile), the Engine class and c10d's.
// Not per-backend state: each Engine (engine.h) holds its own device and tensor table.
#include <napi.h>

#include <ATen/Parallel.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <torch/cuda.h>

#include "boundary.h"
#include "compat.h"
#include "distributed.h"
#include "engine.h"

namespace hc {

static Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return guarded(info, "cudaDeviceCount", [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), torch::cuda::is_available() ? static_cast<double>(torch::cuda::device_count()) : 0);
  });
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setNumThreads", [&]() -> Napi::Value {
    const int64_t n = intArg(info, 0);
    if (n < 1) throw std::runtime_error("threads must be a positive integer (got " + std::to_string(n) + ")");
    at::set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

/**
 * Keeps freed host memory in glibc's heap instead of returning it to the OS: without this, every training
 * step mmaps its large activations afresh and page-faults through them (a 1.3-1.5x slowdown on CPU).
 * Returns false where the C library offers no such knob.
 */
static Napi::Value RetainHostMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  const double mmapThresholdBytes = numberArg(info, 0);
  const double trimThresholdBytes = numberArg(info, 1);
  const bool ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmapThresholdBytes)) == 1 &&
                  mallopt(M_TRIM_THRESHOLD, static_cast<int>(trimThresholdBytes)) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// op-profiler.cpp
Napi::Value OpProfileStart(const Napi::CallbackInfo& info);
Napi::Value OpProfileStop(const Napi::CallbackInfo& info);
// memory-stats.cpp
Napi::Value TrackMemory(const Napi::CallbackInfo& info);
Napi::Value MemoryStats(const Napi::CallbackInfo& info);
Napi::Value ResetPeakMemory(const Napi::CallbackInfo& info);

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, CudaDeviceCount));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("retainHostMemory", Napi::Function::New(env, RetainHostMemory));
  exports.Set("opProfileStart", Napi::Function::New(env, OpProfileStart));
  exports.Set("opProfileStop", Napi::Function::New(env, OpProfileStop));
  exports.Set("trackMemory", Napi::Function::New(env, TrackMemory));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats));
  exports.Set("resetPeakMemory", Napi::Function::New(env, ResetPeakMemory));
  exports.Set("Engine", Engine::Define(env));
  exports.Set("distributedSupport", Napi::Function::New(env, DistributedSupport));
  exports.Set("Store", Store::Define(env));
  exports.Set("ProcessGroup", ProcessGroup::Define(env));
  return exports;
}

}  // namespace hc

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return hc::Init(env, exports); }

NODE_API_MODULE(hyperclone_torch, InitAddon)
