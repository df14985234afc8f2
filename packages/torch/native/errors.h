// Every libtorch failure surfaces in JS as an Error with libtorch's own message, never an abort.
#pragma once
#include <c10/util/Exception.h>
#include <napi.h>

#include <exception>
#include <string>

namespace yolots {

template <typename Fn>
Napi::Value guarded(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    return fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Declares a napi callback whose body runs under `guarded`.
#define YOLOTS_FN(name)                                                  \
  static Napi::Value name##Impl(const Napi::CallbackInfo& info);         \
  Napi::Value name(const Napi::CallbackInfo& info) {                     \
    return ::yolots::guarded(info, name##Impl);                          \
  }                                                                      \
  static Napi::Value name##Impl(const Napi::CallbackInfo& info)

}  // namespace yolots
