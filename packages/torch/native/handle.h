// Tensor handles: the only way a JS value owns an at::Tensor.
// A handle is a napi External around a heap TensorHandle. JS frees it eagerly with
// `dispose` (scopes do this for the user); the GC finalizer is only the backstop.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <atomic>

namespace yolots {

struct TensorHandle {
  at::Tensor tensor;
};

// Number of handles whose tensor has not been released yet (disposed or finalized).
std::atomic<int64_t>& liveHandles();

// Wraps a tensor in a new JS handle. An undefined tensor becomes `null`.
Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);

// The tensor behind a handle; throws a JS TypeError when the value is not a live handle.
at::Tensor& unwrapTensor(const Napi::Value& value);

bool isTensorHandle(const Napi::Value& value);

void initHandles(Napi::Env env, Napi::Object exports);

}  // namespace yolots
