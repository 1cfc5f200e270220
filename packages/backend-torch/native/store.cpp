// The rendezvous store as a JS class: c10d's TCPStore (rank 0 serves, the others connect), optionally
// under a PrefixStore (torchrun's agent store), and what this build supports. Not the collectives.
#include "distributed.h"

#include <c10/util/Exception.h>

#if HC_HAS_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include "boundary.h"

namespace hc {

Napi::Value DistributedSupport(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("c10d", Napi::Boolean::New(info.Env(), HC_HAS_C10D != 0));
  out.Set("gloo", Napi::Boolean::New(info.Env(), HC_HAS_C10D != 0));
  out.Set("nccl", Napi::Boolean::New(info.Env(), HC_HAS_NCCL != 0));
  return out;
}

template <typename F>
Napi::Value Store::guard(const Napi::CallbackInfo& info, const char* op, F&& fn) {
  try {
#if HC_HAS_C10D
    if (!store_) throw std::runtime_error("the store is closed");
#endif
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), "c10d store " + std::string(op) + " failed on " + who_ + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), "c10d store " + std::string(op) + " failed on " + who_ + ": " + e.what());
  }
}

static std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// new Store(host, port, isServer, worldSize, timeoutMs, prefix, who)
Store::Store(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Store>(info) {
  who_ = info[6].As<Napi::String>().Utf8Value();
#if HC_HAS_C10D
  const std::string host = info[0].As<Napi::String>().Utf8Value();
  const std::string prefix = info[5].As<Napi::String>().Utf8Value();
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(intArg(info, 1));
  opts.isServer = boolArg(info, 2);
  opts.numWorkers = static_cast<std::size_t>(intArg(info, 3));
  opts.waitWorkers = true;
  opts.timeout = std::chrono::milliseconds(intArg(info, 4));
  try {
    auto tcp = c10::make_intrusive<c10d::TCPStore>(host, opts);
    port_ = tcp->getPort();
    store_ = prefix.empty() ? c10::intrusive_ptr<c10d::Store>(tcp)
                            : c10::intrusive_ptr<c10d::Store>(c10::make_intrusive<c10d::PrefixStore>(prefix, tcp));
  } catch (const std::exception& e) {
    const std::string what = dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what();
    const std::string role = opts.isServer ? "serving" : "reaching";
    throw Napi::Error::New(info.Env(), "c10d store: " + who_ + " failed " + role + " the TCPStore at " + host + ":" +
                                           std::to_string(opts.port) + ": " + what);
  }
#else
  throw Napi::Error::New(info.Env(), "c10d store: this build of the libtorch addon has no c10d (its libtorch exports no TCPStore/ProcessGroupGloo, or the gloo headers were missing at build time: apt-get install libgloo-dev, then npm run build:native)");
#endif
}

Napi::Value Store::Set(const Napi::CallbackInfo& info) {
  return guard(info, "set", [&]() -> Napi::Value {
#if HC_HAS_C10D
    store_->set(info[0].As<Napi::String>().Utf8Value(), bytesOf(info[1].As<Napi::String>().Utf8Value()));
#endif
    return info.Env().Undefined();
  });
}

Napi::Value Store::Get(const Napi::CallbackInfo& info) {
  return guard(info, "get", [&]() -> Napi::Value {
#if HC_HAS_C10D
    const std::vector<uint8_t> value = store_->get(info[0].As<Napi::String>().Utf8Value());
    return Napi::String::New(info.Env(), std::string(value.begin(), value.end()));
#else
    return info.Env().Undefined();
#endif
  });
}

Napi::Value Store::Add(const Napi::CallbackInfo& info) {
  return guard(info, "add", [&]() -> Napi::Value {
#if HC_HAS_C10D
    return Napi::Number::New(info.Env(), static_cast<double>(store_->add(info[0].As<Napi::String>().Utf8Value(), intArg(info, 1))));
#else
    return info.Env().Undefined();
#endif
  });
}

Napi::Value Store::Check(const Napi::CallbackInfo& info) {
  return guard(info, "check", [&]() -> Napi::Value {
#if HC_HAS_C10D
    Napi::Array array = info[0].As<Napi::Array>();
    std::vector<std::string> keys;
    for (uint32_t k = 0; k < array.Length(); k++) keys.push_back(array.Get(k).As<Napi::String>().Utf8Value());
    return Napi::Boolean::New(info.Env(), store_->check(keys));
#else
    return info.Env().Undefined();
#endif
  });
}

Napi::Value Store::Port(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), port_); }

Napi::Value Store::Close(const Napi::CallbackInfo& info) {
#if HC_HAS_C10D
  store_.reset();  // the server (rank 0) stops; clients' later calls fail
#endif
  return info.Env().Undefined();
}

Napi::Function Store::Define(Napi::Env env) {
  return DefineClass(env, "Store",
                     {InstanceMethod("set", &Store::Set), InstanceMethod("get", &Store::Get), InstanceMethod("add", &Store::Add),
                      InstanceMethod("check", &Store::Check), InstanceMethod("port", &Store::Port),
                      InstanceMethod("close", &Store::Close)});
}

}  // namespace hc
