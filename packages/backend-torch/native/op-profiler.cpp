// A wall-clock op profile of the calling thread, from ATen's RecordFunction callbacks (the events PyTorch's
// own profiler reads): per op name and the entry it ran under (the outermost event: the op JavaScript
// called, or the step program's instruction in a replay) its calls, total and self time (total less the ops
// it called), and the time inside any op at all, so what JavaScript and the boundary cost is the rest.
// Not a tracer of other threads (OpenMP workers' events are left out) and not the timing of a benchmark.
#include <napi.h>

#include <ATen/record_function.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "boundary.h"

namespace hc {
namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  int64_t calls = 0;
  double totalUs = 0, selfUs = 0;
};

struct Frame {
  Clock::time_point start;
  double childUs;
  const char* name;
};

/** A replay's outermost event: its instructions, one level down, are the entries. */
constexpr const char* kReplay = "replayStep";

struct Profile {
  std::mutex mutex;
  std::thread::id thread;
  std::map<std::pair<std::string, std::string>, Stats> ops;  // (entry, op)
  double insideUs = 0;  // the profiled thread's time inside outermost events
  Clock::time_point started;
  at::CallbackHandle handle = 0;
  bool on = false;
};

Profile& profile() {
  static Profile p;
  return p;
}

thread_local std::vector<Frame> stack;

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
  if (std::this_thread::get_id() == profile().thread) stack.push_back(Frame{Clock::now(), 0, fn.name()});
  return nullptr;
}

void onEnd(const at::RecordFunction& fn, at::ObserverContext*) {
  Profile& p = profile();
  if (std::this_thread::get_id() != p.thread || stack.empty()) return;
  const Frame frame = stack.back();
  stack.pop_back();
  const double us = std::chrono::duration<double, std::micro>(Clock::now() - frame.start).count();
  if (!stack.empty()) stack.back().childUs += us;
  const char* entry = stack.empty() ? fn.name() : stack[0].name;
  if (stack.size() >= 2 && std::string(entry) == kReplay) entry = stack[1].name;
  else if (stack.size() == 1 && std::string(entry) == kReplay) entry = fn.name();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (stack.empty()) p.insideUs += us;
  Stats& s = p.ops[{entry, fn.name()}];
  s.calls++;
  s.totalUs += us;
  s.selfUs += us - frame.childUs;
}

}  // namespace

/** opProfileStart(): profiles the calling thread's ops until opProfileStop(). */
Napi::Value OpProfileStart(const Napi::CallbackInfo& info) {
  return guarded(info, "opProfile", [&]() -> Napi::Value {
    Profile& p = profile();
    if (p.on) throw std::runtime_error("an op profile is already running");
    p.ops.clear();
    p.insideUs = 0;
    p.thread = std::this_thread::get_id();
    stack.clear();
    p.handle = at::addGlobalCallback(at::RecordFunctionCallback(onStart, onEnd));
    p.started = Clock::now();
    p.on = true;
    return info.Env().Undefined();
  });
}

/** opProfileStop() -> {wallUs, insideUs, ops: [{entry, name, calls, totalUs, selfUs}]}. */
Napi::Value OpProfileStop(const Napi::CallbackInfo& info) {
  return guarded(info, "opProfile", [&]() -> Napi::Value {
    Profile& p = profile();
    if (!p.on) throw std::runtime_error("no op profile is running");
    const double wallUs = std::chrono::duration<double, std::micro>(Clock::now() - p.started).count();
    at::removeCallback(p.handle);
    p.on = false;
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("wallUs", Napi::Number::New(env, wallUs));
    out.Set("insideUs", Napi::Number::New(env, p.insideUs));
    Napi::Array ops = Napi::Array::New(env, p.ops.size());
    uint32_t i = 0;
    for (const auto& [key, s] : p.ops) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("entry", Napi::String::New(env, key.first));
      o.Set("name", Napi::String::New(env, key.second));
      o.Set("calls", Napi::Number::New(env, static_cast<double>(s.calls)));
      o.Set("totalUs", Napi::Number::New(env, s.totalUs));
      o.Set("selfUs", Napi::Number::New(env, s.selfUs));
      ops.Set(i++, o);
    }
    out.Set("ops", ops);
    return out;
  });
}

}  // namespace hc
