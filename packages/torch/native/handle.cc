#include "handle.h"

#include "errors.h"
#include "memory.h"

namespace yolots {

static const napi_type_tag kTensorTag = {0x79a7c1e4b2d04f11ULL, 0x9e3c0f5aa1b27d63ULL};

std::atomic<int64_t>& liveHandles() {
  static std::atomic<int64_t> count{0};
  return count;
}

// Withdraws what was reported to V8 for this handle.
static void unreport(Napi::Env env, TensorHandle* handle) {
  if (handle->reportedBytes == 0) return;
  reportGcOwned(env, -handle->reportedBytes);
  handle->reportedBytes = 0;
}

static void finalizeHandle(Napi::Env env, TensorHandle* handle) {
  if (handle->tensor.defined()) liveHandles()--;
  unreport(env, handle);
  delete handle;
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto* handle = new TensorHandle{std::move(tensor)};
  liveHandles()++;
  auto external = Napi::External<TensorHandle>::New(env, handle, finalizeHandle);
  external.TypeTag(&kTensorTag);
  return external;
}

bool isTensorHandle(const Napi::Value& value) {
  return value.IsExternal() && value.As<Napi::Object>().CheckTypeTag(&kTensorTag);
}

at::Tensor& unwrapTensor(const Napi::Value& value) {
  if (!isTensorHandle(value)) {
    throw Napi::TypeError::New(value.Env(), "expected a Tensor");
  }
  auto* handle = value.As<Napi::External<TensorHandle>>().Data();
  if (!handle->tensor.defined()) {
    throw Napi::Error::New(value.Env(), "this Tensor was disposed and can no longer be used");
  }
  return handle->tensor;
}

// dispose(handle): releases the tensor now; later use of the handle is an error.
YOLOTS_FN(dispose) {
  if (!isTensorHandle(info[0])) throw Napi::TypeError::New(info.Env(), "expected a Tensor");
  auto* handle = info[0].As<Napi::External<TensorHandle>>().Data();
  bool wasLive = handle->tensor.defined();
  if (wasLive) {
    handle->tensor = at::Tensor();
    liveHandles()--;
    unreport(info.Env(), handle);
  }
  return Napi::Boolean::New(info.Env(), wasLive);
}

// handToGc(handle): the GC now decides when this tensor dies, so V8 is told its native size (once).
YOLOTS_FN(handToGc) {
  auto& tensor = unwrapTensor(info[0]);
  auto* handle = info[0].As<Napi::External<TensorHandle>>().Data();
  if (handle->reportedBytes != 0 || !tensor.has_storage()) return info.Env().Undefined();
  handle->reportedBytes = static_cast<int64_t>(tensor.storage().nbytes());
  reportGcOwned(info.Env(), handle->reportedBytes);
  return info.Env().Undefined();
}

YOLOTS_FN(isDisposed) {
  if (!isTensorHandle(info[0])) throw Napi::TypeError::New(info.Env(), "expected a Tensor");
  return Napi::Boolean::New(info.Env(), !info[0].As<Napi::External<TensorHandle>>().Data()->tensor.defined());
}

YOLOTS_FN(liveTensors) { return Napi::Number::New(info.Env(), static_cast<double>(liveHandles().load())); }

void initHandles(Napi::Env env, Napi::Object exports) {
  exports.Set("dispose", Napi::Function::New(env, dispose));
  exports.Set("handToGc", Napi::Function::New(env, handToGc));
  exports.Set("isDisposed", Napi::Function::New(env, isDisposed));
  exports.Set("liveTensors", Napi::Function::New(env, liveTensors));
}

}  // namespace yolots
