// Tensor handles: the only way a JS value owns an at::Tensor.
// A handle is a napi External around a heap TensorHandle. JS frees it eagerly with
// `dispose` (scopes do this for the user); the GC finalizer is only the backstop.
//
// V8 is told the native size of a handle only once the GC decides its lifetime (`handToGc`: a tensor
// outside any scope, or kept). Telling it about every scope-owned tensor too made V8 start a full
// mark-compact every few tens of ms during a training forward (saved activations grow by hundreds of MB),
// and its marker thread took a core from libtorch: measured 20% on a YOLOv8n forward.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <atomic>

namespace yolots {

struct TensorHandle {
  at::Tensor tensor;
  // Bytes reported to V8 for this handle (0 while a scope owns it).
  int64_t reportedBytes = 0;
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
