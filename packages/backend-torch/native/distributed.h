// c10d in the addon: the rendezvous store (TCPStore) and the process group (Gloo, NCCL) as JS classes.
// Not a collective of our own: every byte between ranks goes through c10d; this file only declares.
#pragma once

#include <napi.h>

#include <chrono>
#include <string>

// HC_HAS_C10D (TCPStore + ProcessGroupGloo) and HC_HAS_NCCL (ProcessGroupNCCL) come from the build's
// probes (CMakeLists.txt, scripts/build-native.mjs): 1 only where this libtorch exports those symbols.
#ifndef HC_HAS_C10D
#define HC_HAS_C10D 0
#endif
#ifndef HC_HAS_NCCL
#define HC_HAS_NCCL 0
#endif

#if HC_HAS_C10D
#include <torch/csrc/distributed/c10d/Store.hpp>
#endif

namespace hc {

/** {c10d, gloo, nccl}: what this build of the addon can do (decided at build time). */
Napi::Value DistributedSupport(const Napi::CallbackInfo& info);

/** A c10d store: TCPStore (served by one process, the others connect), optionally under a key prefix. */
class Store : public Napi::ObjectWrap<Store> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Store(const Napi::CallbackInfo& info);
#if HC_HAS_C10D
  const c10::intrusive_ptr<c10d::Store>& store() const { return store_; }
#endif
  const std::string& who() const { return who_; }

 private:
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Check(const Napi::CallbackInfo& info);
  Napi::Value Port(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  template <typename F>
  Napi::Value guard(const Napi::CallbackInfo& info, const char* op, F&& fn);

#if HC_HAS_C10D
  c10::intrusive_ptr<c10d::Store> store_;
#endif
  int port_ = 0;
  std::string who_;  // "rank R of W", for messages
};

/** A c10d process group over a Store: Gloo (CPU tensors) or NCCL (CUDA tensors, where built). */
class ProcessGroup : public Napi::ObjectWrap<ProcessGroup> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ProcessGroup(const Napi::CallbackInfo& info);
  ~ProcessGroup() override;

 private:
  Napi::Value AllReduce(const Napi::CallbackInfo& info);
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  Napi::Value ReduceScatter(const Napi::CallbackInfo& info);
  Napi::Value AllGather(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  /** Runs one collective; a failure breaks the group and becomes a JS Error naming this rank. */
  template <typename F>
  Napi::Value collective(const Napi::CallbackInfo& info, const char* op, F&& fn);
  void release();

  struct Impl;
  Impl* impl_ = nullptr;
  std::string engine_;
  std::string who_;
  std::string broken_;  // the first failure's message; every later call repeats it
  std::chrono::milliseconds timeout_{0};
};

}  // namespace hc
