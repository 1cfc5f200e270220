// Measured allocations: once tracking starts, libtorch's CPU allocator is wrapped by one that counts the bytes in
// use and their peak across every thread (Gloo's workers allocate too), and CUDA's caching allocator reports to
// the JS thread's memory reporter (the hook PyTorch's profiler uses). Not the tensor table's bytes (Engine::LiveBytes).
#include <napi.h>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "boundary.h"

namespace hc {

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
  void resetPeak() { peak.store(current.load()); }
};

static Counter cpuCounter;
static Counter acceleratorCounter;

// ---- CPU: a counting allocator around the default one, for every thread ----------------------------------

/** What a counted block came with: its size and the inner allocator's deleter and context. */
struct Block {
  size_t bytes;
  c10::DeleterFnPtr deleter;
  void* context;
};
// never destroyed: blocks may be freed while the process exits
static std::mutex& blocksMutex = *new std::mutex();
static std::unordered_map<void*, Block>& blocks() {
  static auto* map = new std::unordered_map<void*, Block>();
  return *map;
}

/** The deleter of every counted block: uncounts it, then hands it to the allocator that made it. */
static void countedDelete(void* data) {
  Block block{};
  {
    std::lock_guard<std::mutex> guard(blocksMutex);
    auto it = blocks().find(data);
    if (it == blocks().end()) return;  // cannot happen: every pointer given this deleter was recorded
    block = it->second;
    blocks().erase(it);
  }
  cpuCounter.add(-static_cast<int64_t>(block.bytes));
  if (block.deleter) block.deleter(block.context);
}

/**
 * The inner allocator's DataPtr re-issued with the data pointer as its context and countedDelete as its deleter
 * (context == data, as the default CPU allocator's, so raw_allocate keeps working).
 */
static c10::DataPtr countedAllocate(c10::Allocator* inner, size_t bytes) {
  c10::DataPtr d = inner->allocate(bytes);
  void* data = d.get();
  if (!data) return d;
  const c10::DeleterFnPtr deleter = d.get_deleter();
  void* context = d.release_context();
  {
    std::lock_guard<std::mutex> guard(blocksMutex);
    blocks()[data] = Block{bytes, deleter, context};
  }
  cpuCounter.add(static_cast<int64_t>(bytes));
  return c10::DataPtr(data, data, &countedDelete, d.device());
}

// Allocator::allocate is const in 1.x and not from 2.3 on, where copy_data also appeared: match whichever the header has.
template <typename A, typename = void>
struct HasCopyData : std::false_type {};
template <typename A>
struct HasCopyData<A, std::void_t<decltype(&A::copy_data)>> : std::true_type {};
constexpr bool kConstAllocate = std::is_same_v<decltype(&c10::Allocator::allocate), c10::DataPtr (c10::Allocator::*)(size_t) const>;

template <bool ConstAllocate, bool CopyData, typename Base = c10::Allocator>
struct CountingAllocator;

template <typename Base>
struct CountingAllocator<true, false, Base> : Base {
  explicit CountingAllocator(c10::Allocator* inner) : inner(inner) {}
  c10::DataPtr allocate(size_t n) const override { return countedAllocate(inner, n); }
  c10::DeleterFnPtr raw_deleter() const override { return &countedDelete; }
  c10::Allocator* inner;
};

template <typename Base>
struct CountingAllocator<false, true, Base> : Base {
  explicit CountingAllocator(c10::Allocator* inner) : inner(inner) {}
  c10::DataPtr allocate(size_t n) override { return countedAllocate(inner, n); }
  c10::DeleterFnPtr raw_deleter() const override { return &countedDelete; }
  void copy_data(void* dest, const void* src, size_t count) const override { std::memcpy(dest, src, count); }
  c10::Allocator* inner;
};

template <typename Base>
struct CountingAllocator<true, true, Base> : Base {
  explicit CountingAllocator(c10::Allocator* inner) : inner(inner) {}
  c10::DataPtr allocate(size_t n) const override { return countedAllocate(inner, n); }
  c10::DeleterFnPtr raw_deleter() const override { return &countedDelete; }
  void copy_data(void* dest, const void* src, size_t count) const override { std::memcpy(dest, src, count); }
  c10::Allocator* inner;
};

using Counting = CountingAllocator<kConstAllocate, HasCopyData<c10::Allocator>::value>;

// ---- CUDA: the caching allocator reports to the JS thread's memory reporter ---------------------------------

// reportMemoryUsage's totals are int64_t in 1.13 and size_t in later releases: take whatever the header says.
template <typename F>
struct TotalArg;
template <typename C, typename R, typename Ptr, typename Size, typename Total, typename Reserved, typename Dev>
struct TotalArg<R (C::*)(Ptr, Size, Total, Reserved, Dev)> {
  using type = Total;
};
using TotalBytes = TotalArg<decltype(&c10::MemoryReportingInfoBase::reportMemoryUsage)>::type;

class AcceleratorReporter : public c10::MemoryReportingInfoBase {
 public:
  void reportMemoryUsage(void* /*ptr*/, int64_t bytes, TotalBytes /*total*/, TotalBytes /*reserved*/, c10::Device device) override {
    if (!device.is_cpu()) acceleratorCounter.add(bytes);  // CPU blocks are counted by the allocator above
  }
  bool memoryProfilingEnabled() const override { return true; }
};

static bool tracking = false;

// trackMemory(): from now on, allocations are counted (those made before are not seen, nor their frees). Idempotent.
Napi::Value TrackMemory(const Napi::CallbackInfo& info) {
  return guarded(info, "trackMemory", [&]() -> Napi::Value {
    if (tracking) return info.Env().Undefined();
    if (c10::ThreadLocalDebugInfo::get(c10::DebugInfoKind::PROFILER_STATE))
      throw std::runtime_error("another memory reporter (PyTorch's profiler) is active on this thread");
    static Counting counting(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(&counting, /*priority=*/100);
    c10::ThreadLocalDebugInfo::_push(c10::DebugInfoKind::PROFILER_STATE, std::make_shared<AcceleratorReporter>());
    tracking = true;
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
  out.Set("tracking", Napi::Boolean::New(env, tracking));
  out.Set("cpu", countsOf(env, cpuCounter));
  out.Set("accelerator", countsOf(env, acceleratorCounter));
  return out;
}

// resetPeakMemory(): the peaks start again from the bytes in use now.
Napi::Value ResetPeakMemory(const Napi::CallbackInfo& info) {
  cpuCounter.resetPeak();
  acceleratorCounter.resetPeak();
  return info.Env().Undefined();
}

}  // namespace hc
