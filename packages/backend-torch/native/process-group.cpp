// The process group as a JS class: c10d's ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA, where built),
// with all-reduce, broadcast, reduce-scatter and all-gather over flat buckets of an Engine's tensors, barrier, a timeout.
// Not the rendezvous (store.cpp) and not the averaging policy of training (the trainer decides).
#include "distributed.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#if HC_HAS_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if HC_HAS_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "boundary.h"
#include "compat.h"
#include "engine.h"

namespace hc {

#if HC_HAS_C10D
// The group classes derive from c10d::ProcessGroup on 1.x and from c10d::Backend from 2.0.
#if HC_TORCH_AT_LEAST(2, 0)
using GroupBase = c10d::Backend;
#else
using GroupBase = c10d::ProcessGroup;
#endif

struct ProcessGroup::Impl {
  c10::intrusive_ptr<GroupBase> pg;
  int rank;
  int size;
};

static c10::intrusive_ptr<GroupBase> makeGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                      std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // As torch.distributed does: GLOO_SOCKET_IFNAME names the interface, else the hostname's address (or loopback).
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}

static c10::intrusive_ptr<GroupBase> makeNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                      std::chrono::milliseconds timeout) {
#if HC_HAS_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
#else
  throw std::runtime_error(
      "this build of the libtorch addon has no NCCL (its libtorch has no ProcessGroupNCCL, or nccl.h was not found at build "
      "time: set NCCL_INCLUDE_DIR and run npm run build:native); use the gloo engine");
#endif
}
#else
struct ProcessGroup::Impl {};
#endif

// new ProcessGroup(store, rank, size, engine 'gloo'|'nccl', timeoutMs, who)
ProcessGroup::ProcessGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroup>(info) {
  engine_ = info[3].As<Napi::String>().Utf8Value();
  timeout_ = std::chrono::milliseconds(intArg(info, 4));
  who_ = info[5].As<Napi::String>().Utf8Value();
#if HC_HAS_C10D
  Store* store = Store::Unwrap(info[0].As<Napi::Object>());
  const int rank = static_cast<int>(intArg(info, 1));
  const int size = static_cast<int>(intArg(info, 2));
  try {
    if (engine_ != "gloo" && engine_ != "nccl") throw std::runtime_error("engine must be gloo or nccl (got " + engine_ + ")");
    if (!store->store()) throw std::runtime_error("the store is closed");
    auto pg = engine_ == "gloo" ? makeGloo(store->store(), rank, size, timeout_) : makeNccl(store->store(), rank, size, timeout_);
    impl_ = new Impl{pg, rank, size};
  } catch (const std::exception& e) {
    const std::string what = dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what();
    throw Napi::Error::New(info.Env(), "c10d " + engine_ + ": " + who_ + " could not join the process group: " + what);
  }
#else
  throw Napi::Error::New(info.Env(), "c10d: this build of the libtorch addon has no c10d; apt-get install libgloo-dev, then npm run build:native");
#endif
}

ProcessGroup::~ProcessGroup() { release(); }

/**
 * A healthy group is destroyed (its threads join); a broken one is leaked on purpose: its worker
 * threads may still wait on a dead peer, and joining them would hang the process until the timeout.
 */
void ProcessGroup::release() {
#if HC_HAS_C10D
  if (!impl_) return;
  if (broken_.empty()) delete impl_;
  else (void)impl_->pg.release();
  impl_ = nullptr;
#endif
}

/** A call's arguments do not fit (checked before any byte moves): the group stays usable. */
struct BadCall : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename F>
Napi::Value ProcessGroup::collective(const Napi::CallbackInfo& info, const char* op, F&& fn) {
  const std::string prefix = "c10d " + engine_ + " " + op + " failed on " + who_;
  if (!broken_.empty()) throw Napi::Error::New(info.Env(), prefix + ": the group failed earlier (" + broken_ + ")");
  if (!impl_) throw Napi::Error::New(info.Env(), prefix + ": the process group is closed");
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const BadCall& e) {
    throw Napi::Error::New(info.Env(), prefix + ": " + e.what());
  } catch (const std::exception& e) {
    broken_ = dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what();
    const auto seconds = std::to_string(timeout_.count() / 1000.0);
    throw Napi::Error::New(info.Env(), prefix + " (timeout " + seconds.substr(0, seconds.find('.') + 2) + " s): " + broken_ +
                                           "; a peer rank may have died or stopped calling collectives");
  }
}

#if HC_HAS_C10D
/** Consecutive runs of tensors with one dtype and device, each at most capBytes (a bigger tensor goes alone). */
static std::vector<std::vector<size_t>> bucketsOf(const std::vector<at::Tensor>& ts, int64_t capBytes) {
  std::vector<std::vector<size_t>> out;
  int64_t bytes = 0;
  for (size_t i = 0; i < ts.size(); i++) {
    const int64_t size = ts[i].numel() * static_cast<int64_t>(ts[i].element_size());
    const bool fits = !out.empty() && bytes + size <= capBytes && ts[i].scalar_type() == ts[out.back()[0]].scalar_type() &&
                      ts[i].device() == ts[out.back()[0]].device();
    if (!fits) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(i);
    bytes += size;
  }
  return out;
}

/** One flat copy of the bucket's tensors, in order. */
static at::Tensor flatten(const std::vector<at::Tensor>& ts, const std::vector<size_t>& bucket) {
  std::vector<at::Tensor> flat;
  for (size_t i : bucket) flat.push_back(ts[i].reshape({-1}));
  return at::cat(flat);
}

static c10d::ReduceOp reduceOp(const std::string& name) {
  if (name == "sum" || name == "avg") return c10d::ReduceOp::SUM;  // avg: sum, then divide (Gloo has no AVG)
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "min") return c10d::ReduceOp::MIN;
  throw std::runtime_error("op must be sum, avg, max or min (got " + name + ")");
}

static std::vector<at::Tensor> tensorsOf(Engine* engine, const Napi::CallbackInfo& info, size_t i) {
  if (engine->closed()) throw std::runtime_error("its backend is closed");
  std::vector<at::Tensor> out;
  for (int64_t id : intListArg(info, i)) out.push_back(engine->tensorAt(id));
  return out;
}
#endif

// allReduce(engine, ids, op, bucketBytes) -> ids of new tensors (views of the reduced buckets)
Napi::Value ProcessGroup::AllReduce(const Napi::CallbackInfo& info) {
  return collective(info, "allReduce", [&]() -> Napi::Value {
#if HC_HAS_C10D
    Engine* engine = Engine::Unwrap(info[0].As<Napi::Object>());
    const std::vector<at::Tensor> ts = tensorsOf(engine, info, 1);
    const std::string op = info[2].As<Napi::String>().Utf8Value();
    c10d::AllreduceOptions opts;
    opts.reduceOp = reduceOp(op);
    opts.timeout = timeout_;
    const auto buckets = bucketsOf(ts, intArg(info, 3));
    std::vector<std::vector<at::Tensor>> flats;  // every bucket is sent before the first is waited for
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const auto& bucket : buckets) {
      flats.push_back({flatten(ts, bucket)});
      works.push_back(impl_->pg->allreduce(flats.back(), opts));
    }
    std::vector<int64_t> ids;
    for (size_t k = 0; k < buckets.size(); k++) {
      works[k]->wait(timeout_);
      at::Tensor flat = flats[k][0];
      if (op == "avg") flat.div_(impl_->size);
      int64_t offset = 0;
      for (size_t i : buckets[k]) {
        ids.push_back(engine->adopt(flat.narrow(0, offset, ts[i].numel()).view(ts[i].sizes())));
        offset += ts[i].numel();
      }
    }
    return toJsArray(info.Env(), ids);
#else
    return info.Env().Undefined();
#endif
  });
}

// broadcast(engine, ids, root, bucketBytes): every rank's tensors take root's values, in place
Napi::Value ProcessGroup::Broadcast(const Napi::CallbackInfo& info) {
  return collective(info, "broadcast", [&]() -> Napi::Value {
#if HC_HAS_C10D
    Engine* engine = Engine::Unwrap(info[0].As<Napi::Object>());
    std::vector<at::Tensor> ts = tensorsOf(engine, info, 1);
    c10d::BroadcastOptions opts;
    opts.rootRank = static_cast<int64_t>(intArg(info, 2));
    opts.timeout = timeout_;
    for (const auto& bucket : bucketsOf(ts, intArg(info, 3))) {
      std::vector<at::Tensor> flat{flatten(ts, bucket)};
      impl_->pg->broadcast(flat, opts)->wait(timeout_);
      if (impl_->rank == opts.rootRank) continue;
      int64_t offset = 0;
      for (size_t i : bucket) {
        ts[i].copy_(flat[0].narrow(0, offset, ts[i].numel()).view(ts[i].sizes()));
        offset += ts[i].numel();
      }
    }
#endif
    return info.Env().Undefined();
  });
}

#if HC_HAS_C10D
/** Consecutive buckets of ts with the given tensor counts (the caller's shard layout); checks they cover ts. */
static std::vector<std::vector<size_t>> bucketsFromCounts(const std::vector<at::Tensor>& ts, const std::vector<int64_t>& counts) {
  std::vector<std::vector<size_t>> out;
  size_t next = 0;
  for (int64_t n : counts) {
    if (n < 1) throw BadCall("every bucket needs at least one tensor");
    out.emplace_back();
    for (int64_t k = 0; k < n; k++) {
      if (next >= ts.size()) throw BadCall("the buckets name more tensors than were given");
      const at::Tensor& first = ts[out.back().empty() ? next : out.back()[0]];
      if (ts[next].scalar_type() != first.scalar_type() || ts[next].device() != first.device())
        throw BadCall("the tensors of one bucket must share a dtype and a device");
      out.back().push_back(next++);
    }
  }
  if (next != ts.size()) throw BadCall("the buckets leave tensors out");
  return out;
}

static int64_t numelOf(const std::vector<at::Tensor>& ts, const std::vector<size_t>& bucket) {
  int64_t n = 0;
  for (size_t i : bucket) n += ts[i].numel();
  return n;
}

/** A bucket's elements per rank: ceil(numel / size); the last rank's piece is padded with zeros. */
static int64_t pieceOf(int64_t numel, int size) { return (numel + size - 1) / size; }
#endif

// reduceScatter(engine, ids, op 'sum'|'avg', bucketCounts) -> id of this rank's shard: a flat tensor holding, for
// each bucket in turn, elements [rank·S, (rank+1)·S) of the bucket's concatenation (zero-padded to size·S) summed
// over the ranks. NCCL: _reduce_scatter_base. Gloo (no reduce_scatter in libtorch 1.13): alltoall_base sends
// piece r of every rank's bucket to rank r, which sums the pieces in rank order.
Napi::Value ProcessGroup::ReduceScatter(const Napi::CallbackInfo& info) {
  return collective(info, "reduceScatter", [&]() -> Napi::Value {
#if HC_HAS_C10D
    Engine* engine = Engine::Unwrap(info[0].As<Napi::Object>());
    const std::vector<at::Tensor> ts = tensorsOf(engine, info, 1);
    const std::string op = info[2].As<Napi::String>().Utf8Value();
    if (op != "sum" && op != "avg") throw BadCall("reduceScatter's op must be sum or avg (got " + op + ")");
    const auto buckets = bucketsFromCounts(ts, intListArg(info, 3));
    const int size = impl_->size;
    int64_t shardNumel = 0;
    for (const auto& bucket : buckets) shardNumel += pieceOf(numelOf(ts, bucket), size);
    at::Tensor shard = at::empty({shardNumel}, ts.empty() ? at::TensorOptions().dtype(at::kFloat) : ts[0].options());
    int64_t offset = 0;
    for (const auto& bucket : buckets) {
      const int64_t numel = numelOf(ts, bucket);
      const int64_t piece = pieceOf(numel, size);
      at::Tensor flat = flatten(ts, bucket);
      if (piece * size > numel) flat = at::cat({flat, at::zeros({piece * size - numel}, flat.options())});
      at::Tensor mine = shard.narrow(0, offset, piece);
      if (size == 1 && engine_ != "nccl") {  // NCCL runs its collective even alone (one GPU), so that path is exercised
        mine.copy_(flat);
      } else if (engine_ == "nccl") {
        c10d::ReduceScatterOptions opts;
        opts.reduceOp = c10d::ReduceOp::SUM;
        opts.timeout = timeout_;
        impl_->pg->_reduce_scatter_base(mine, flat, opts)->wait(timeout_);
      } else {
        at::Tensor received = at::empty_like(flat);
        std::vector<int64_t> equalSplits;  // empty: size equal pieces each way
        c10d::AllToAllOptions opts;
        opts.timeout = timeout_;
        impl_->pg->alltoall_base(received, flat, equalSplits, equalSplits, opts)->wait(timeout_);
        mine.copy_(received.narrow(0, 0, piece));
        for (int r = 1; r < size; r++) mine.add_(received.narrow(0, r * piece, piece));
      }
      offset += piece;
    }
    if (op == "avg") shard.div_(size);
    return Napi::Number::New(info.Env(), static_cast<double>(engine->adopt(shard)));
#else
    return info.Env().Undefined();
#endif
  });
}

// allGather(engine, shardId, ids, bucketCounts): the inverse layout of reduceScatter. Every rank's shard is
// gathered and each bucket's concatenation (padding dropped) is copied into the tensors, in place.
// NCCL: _allgather_base; Gloo: allgather into views of one flat buffer per bucket.
Napi::Value ProcessGroup::AllGather(const Napi::CallbackInfo& info) {
  return collective(info, "allGather", [&]() -> Napi::Value {
#if HC_HAS_C10D
    Engine* engine = Engine::Unwrap(info[0].As<Napi::Object>());
    if (engine->closed()) throw std::runtime_error("its backend is closed");
    const at::Tensor shard = engine->tensorAt(intArg(info, 1)).reshape({-1});
    std::vector<at::Tensor> ts = tensorsOf(engine, info, 2);
    const auto buckets = bucketsFromCounts(ts, intListArg(info, 3));
    const int size = impl_->size;
    int64_t expected = 0;
    for (const auto& bucket : buckets) expected += pieceOf(numelOf(ts, bucket), size);
    if (shard.numel() != expected)
      throw BadCall("the shard holds " + std::to_string(shard.numel()) + " elements but this layout gives each rank " +
                               std::to_string(expected));
    int64_t offset = 0;
    for (const auto& bucket : buckets) {
      const int64_t numel = numelOf(ts, bucket);
      const int64_t piece = pieceOf(numel, size);
      at::Tensor mine = shard.narrow(0, offset, piece).contiguous();
      at::Tensor flat;
      if (size == 1 && engine_ != "nccl") {
        flat = mine;
      } else if (engine_ == "nccl") {
        flat = at::empty({piece * size}, mine.options());
        c10d::AllgatherOptions opts;
        opts.timeout = timeout_;
        impl_->pg->_allgather_base(flat, mine, opts)->wait(timeout_);
      } else {
        flat = at::empty({piece * size}, mine.options());
        std::vector<std::vector<at::Tensor>> outputs(1);
        for (int r = 0; r < size; r++) outputs[0].push_back(flat.narrow(0, r * piece, piece));
        std::vector<at::Tensor> inputs{mine};
        c10d::AllgatherOptions opts;
        opts.timeout = timeout_;
        impl_->pg->allgather(outputs, inputs, opts)->wait(timeout_);
      }
      int64_t at = 0;
      for (size_t i : bucket) {
        ts[i].copy_(flat.narrow(0, at, ts[i].numel()).view(ts[i].sizes()));
        at += ts[i].numel();
      }
      offset += piece;
    }
#endif
    return info.Env().Undefined();
  });
}

Napi::Value ProcessGroup::Barrier(const Napi::CallbackInfo& info) {
  return collective(info, "barrier", [&]() -> Napi::Value {
#if HC_HAS_C10D
    c10d::BarrierOptions opts;
    opts.timeout = timeout_;
    impl_->pg->barrier(opts)->wait(timeout_);
#endif
    return info.Env().Undefined();
  });
}

Napi::Value ProcessGroup::Close(const Napi::CallbackInfo& info) {
  release();
  return info.Env().Undefined();
}

Napi::Function ProcessGroup::Define(Napi::Env env) {
  return DefineClass(env, "ProcessGroup",
                     {InstanceMethod("allReduce", &ProcessGroup::AllReduce), InstanceMethod("broadcast", &ProcessGroup::Broadcast),
                      InstanceMethod("reduceScatter", &ProcessGroup::ReduceScatter),
                      InstanceMethod("allGather", &ProcessGroup::AllGather),
                      InstanceMethod("barrier", &ProcessGroup::Barrier), InstanceMethod("close", &ProcessGroup::Close)});
}

}  // namespace hc
