// Moving data between JS typed arrays and tensors, and reading a tensor's metadata.
#include <ATen/ATen.h>

#include <cstring>

#include "errors.h"
#include "handle.h"

namespace yolots {

// fromBuffer(arrayBufferView, scalarType, shape[]) -> a new CPU tensor holding a copy of the bytes.
YOLOTS_FN(fromBuffer) {
  auto env = info.Env();
  if (!info[0].IsTypedArray() && !info[0].IsBuffer() && !info[0].IsDataView()) {
    throw Napi::TypeError::New(env, "fromBuffer expects a TypedArray, Buffer or DataView");
  }
  auto view = info[0].As<Napi::TypedArray>();
  auto scalarType = static_cast<at::ScalarType>(info[1].As<Napi::Number>().Int32Value());
  auto shapeArray = info[2].As<Napi::Array>();
  std::vector<int64_t> shape(shapeArray.Length());
  for (uint32_t i = 0; i < shapeArray.Length(); i++) shape[i] = shapeArray.Get(i).As<Napi::Number>().Int64Value();
  size_t byteLength = view.ByteLength();
  auto* data = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  auto tensor = at::empty(shape, at::TensorOptions().dtype(scalarType));
  size_t expected = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  if (expected != byteLength) {
    throw Napi::RangeError::New(env, "data has " + std::to_string(byteLength) + " bytes but shape " +
                                         c10::str(tensor.sizes()) + " of " + c10::toString(scalarType) + " needs " +
                                         std::to_string(expected));
  }
  if (byteLength) std::memcpy(tensor.data_ptr(), data, byteLength);
  return wrapTensor(env, tensor);
}

// toBuffer(tensor) -> ArrayBuffer with a copy of the (CPU, contiguous) data.
YOLOTS_FN(toBuffer) {
  auto tensor = unwrapTensor(info[0]).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  auto out = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes) std::memcpy(out.Data(), tensor.data_ptr(), bytes);
  return out;
}

// copyInto(tensor, arrayBufferView): writes the view's bytes into an existing contiguous CPU tensor.
YOLOTS_FN(copyFromBuffer) {
  auto& tensor = unwrapTensor(info[0]);
  auto view = info[1].As<Napi::TypedArray>();
  size_t bytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  if (!tensor.is_contiguous() || !tensor.is_cpu()) throw std::invalid_argument("copyFromBuffer needs a contiguous CPU tensor");
  if (view.ByteLength() != bytes) throw std::invalid_argument("copyFromBuffer: byte length mismatch");
  std::memcpy(tensor.data_ptr(), static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset(), bytes);
  return info.Env().Undefined();
}

YOLOTS_FN(shape) {
  auto sizes = unwrapTensor(info[0]).sizes();
  auto out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return out;
}

YOLOTS_FN(strides) {
  auto strides = unwrapTensor(info[0]).strides();
  auto out = Napi::Array::New(info.Env(), strides.size());
  for (size_t i = 0; i < strides.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(strides[i])));
  return out;
}

YOLOTS_FN(scalarType) { return Napi::Number::New(info.Env(), static_cast<int>(unwrapTensor(info[0]).scalar_type())); }

YOLOTS_FN(device) { return Napi::String::New(info.Env(), unwrapTensor(info[0]).device().str()); }

YOLOTS_FN(numel) { return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info[0]).numel())); }

YOLOTS_FN(item) {
  auto scalar = unwrapTensor(info[0]).item();
  if (scalar.isBoolean()) return Napi::Boolean::New(info.Env(), scalar.toBool());
  return Napi::Number::New(info.Env(), scalar.toDouble());
}

// isContiguous(tensor, memoryFormat)
YOLOTS_FN(isContiguous) {
  auto format = static_cast<at::MemoryFormat>(info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0);
  return Napi::Boolean::New(info.Env(), unwrapTensor(info[0]).is_contiguous(format));
}

// Identity of the underlying storage, so callers can tell views of one buffer apart from copies.
YOLOTS_FN(storageKey) {
  auto& t = unwrapTensor(info[0]);
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(t.storage().unsafeGetStorageImpl())));
}

void initTensorData(Napi::Env env, Napi::Object exports) {
  exports.Set("fromBuffer", Napi::Function::New(env, fromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, toBuffer));
  exports.Set("copyFromBuffer", Napi::Function::New(env, copyFromBuffer));
  exports.Set("shape", Napi::Function::New(env, shape));
  exports.Set("strides", Napi::Function::New(env, strides));
  exports.Set("scalarType", Napi::Function::New(env, scalarType));
  exports.Set("device", Napi::Function::New(env, device));
  exports.Set("numel", Napi::Function::New(env, numel));
  exports.Set("item", Napi::Function::New(env, item));
  exports.Set("isContiguous", Napi::Function::New(env, isContiguous));
  exports.Set("storageKey", Napi::Function::New(env, storageKey));
}

}  // namespace yolots
