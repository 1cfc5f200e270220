// The JavaScript boundary: argument readers and the guard that turns every C++ exception into a JS Error.
// Not validation of meaning (shapes, dtypes): libtorch checks those and its message is passed through.
#pragma once

#include <napi.h>

#include <c10/util/Exception.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hc {

/** Runs fn; any exception becomes a JS Error "torch <op>: <libtorch message>". */
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string("torch ") + op + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("torch ") + op + ": " + e.what());
  } catch (...) {
    throw Napi::Error::New(info.Env(), std::string("torch ") + op + ": unknown C++ exception");
  }
}

inline int64_t intArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}

inline double numberArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().DoubleValue();
}

inline bool boolArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].ToBoolean().Value();
}

inline std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Array array = info[i].As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t k = 0; k < array.Length(); k++) out[k] = array.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

inline Napi::Array toJsArray(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t k = 0; k < values.size(); k++) out.Set(k, Napi::Number::New(env, static_cast<double>(values[k])));
  return out;
}

}  // namespace hc
