// Automatic mixed precision: libtorch's own autocast state (the AutocastCPU / AutocastCUDA dispatch keys), which
// JS scopes as PyTorch's torch.autocast context manager does. The state is thread-local, like grad mode: it
// applies to the ops the calling (JS main) thread dispatches.
#include <ATen/autocast_mode.h>

#include <stdexcept>
#include <string>

#include "errors.h"

namespace yolots {

namespace {

// The device types autocast has a key for here; "cuda" state exists in a CPU-only build too (it is only TLS).
bool isCpu(const std::string& device) {
  if (device == "cpu") return true;
  if (device == "cuda") return false;
  throw std::invalid_argument("autocast: device type must be 'cpu' or 'cuda', got '" + device + "'");
}

}  // namespace

// autocastState(device) -> [enabled, scalarType].
YOLOTS_FN(autocastState) {
  auto env = info.Env();
  bool cpu = isCpu(info[0].As<Napi::String>().Utf8Value());
  auto out = Napi::Array::New(env, 2);
  out.Set(uint32_t(0), Napi::Boolean::New(env, cpu ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled()));
  auto dtype = cpu ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
  out.Set(uint32_t(1), Napi::Number::New(env, static_cast<int>(dtype)));
  return out;
}

// setAutocast(device, enabled, scalarType): what torch.autocast.__enter__/__exit__ set.
YOLOTS_FN(setAutocast) {
  bool cpu = isCpu(info[0].As<Napi::String>().Utf8Value());
  bool enabled = info[1].ToBoolean().Value();
  auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
  if (cpu) {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  }
  return info.Env().Undefined();
}

// Nesting depth of autocast regions: the outermost exit clears the cache of weights cast to the low precision.
YOLOTS_FN(autocastEnterNesting) { return Napi::Number::New(info.Env(), at::autocast::increment_nesting()); }

YOLOTS_FN(autocastExitNesting) {
  int depth = at::autocast::decrement_nesting();
  if (depth == 0) at::autocast::clear_cache();
  return Napi::Number::New(info.Env(), depth);
}

// Whether casts of leaf weights are cached within a region (PyTorch's cache_enabled); returns the previous value.
YOLOTS_FN(setAutocastCacheEnabled) {
  bool previous = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), previous);
}

void initAutocast(Napi::Env env, Napi::Object exports) {
  exports.Set("autocastState", Napi::Function::New(env, autocastState));
  exports.Set("setAutocast", Napi::Function::New(env, setAutocast));
  exports.Set("autocastEnterNesting", Napi::Function::New(env, autocastEnterNesting));
  exports.Set("autocastExitNesting", Napi::Function::New(env, autocastExitNesting));
  exports.Set("setAutocastCacheEnabled", Napi::Function::New(env, setAutocastCacheEnabled));
}

}  // namespace yolots
