// Measured allocations: libtorch's allocators report every allocation and free to the thread's memory
// reporter (the hook PyTorch's profiler uses); this one keeps the bytes in use and their peak, per device kind.
// Not an allocator of our own and not the tensor table's bytes (Engine::LiveBytes counts those).
#include <napi.h>

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <atomic>
#include <memory>

#include "boundary.h"

namespace hc {

// reportMemoryUsage's totals are int64_t in 1.13 and size_t in later releases: take whatever the header says.
template <typename F>
struct TotalArg;
template <typename C, typename R, typename Ptr, typename Size, typename Total, typename Reserved, typename Dev>
struct TotalArg<R (C::*)(Ptr, Size, Total, Reserved, Dev)> {
  using type = Total;
};
using TotalBytes = TotalArg<decltype(&c10::MemoryReportingInfoBase::reportMemoryUsage)>::type;

/** Bytes allocated since tracking began and not yet freed, and the most there were at once since the last reset. */
struct Counter {
  std::atomic<int64_t> current{0};
  std::atomic<int64_t> peak{0};

  void add(int64_t bytes) {
    const int64_t now = current.fetch_add(bytes) + bytes;
    int64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
};

class MemoryTracker : public c10::MemoryReportingInfoBase {
 public:
  void reportMemoryUsage(void* /*ptr*/, int64_t bytes, TotalBytes /*total*/, TotalBytes /*reserved*/, c10::Device device) override {
    (device.is_cpu() ? cpu : accelerator).add(bytes);
  }
  bool memoryProfilingEnabled() const override { return true; }

  Counter cpu;
  Counter accelerator;
};

static std::shared_ptr<MemoryTracker> tracker;

// trackMemory(): from now on, allocations made on this (the JS) thread are counted. Idempotent.
Napi::Value TrackMemory(const Napi::CallbackInfo& info) {
  return guarded(info, "trackMemory", [&]() -> Napi::Value {
    if (!tracker) {
      if (c10::ThreadLocalDebugInfo::get(c10::DebugInfoKind::PROFILER_STATE))
        throw std::runtime_error("another memory reporter (PyTorch's profiler) is active on this thread");
      tracker = std::make_shared<MemoryTracker>();
      c10::ThreadLocalDebugInfo::_push(c10::DebugInfoKind::PROFILER_STATE, tracker);
    }
    return info.Env().Undefined();
  });
}

static Napi::Object countsOf(Napi::Env env, const Counter& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocatedBytes", Napi::Number::New(env, static_cast<double>(c.current.load())));
  o.Set("peakBytes", Napi::Number::New(env, static_cast<double>(c.peak.load())));
  return o;
}

// memoryStats() -> {tracking, cpu: {allocatedBytes, peakBytes}, accelerator: {...}}
Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("tracking", Napi::Boolean::New(env, tracker != nullptr));
  static const Counter none;
  out.Set("cpu", countsOf(env, tracker ? tracker->cpu : none));
  out.Set("accelerator", countsOf(env, tracker ? tracker->accelerator : none));
  return out;
}

// resetPeakMemory(): the peaks start again from the bytes in use now.
Napi::Value ResetPeakMemory(const Napi::CallbackInfo& info) {
  if (tracker) {
    tracker->cpu.peak.store(tracker->cpu.current.load());
    tracker->accelerator.peak.store(tracker->accelerator.current.load());
  }
  return info.Env().Undefined();
}

}  // namespace hc
