// Autograd state that is not an ATen operator: requires_grad, .grad, backward and grad mode.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "errors.h"
#include "handle.h"

namespace yolots {

YOLOTS_FN(requiresGrad) { return Napi::Boolean::New(info.Env(), unwrapTensor(info[0]).requires_grad()); }

YOLOTS_FN(setRequiresGrad) {
  unwrapTensor(info[0]).set_requires_grad(info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

YOLOTS_FN(isLeaf) { return Napi::Boolean::New(info.Env(), unwrapTensor(info[0]).is_leaf()); }

// grad(tensor) -> a new handle on .grad, or null when there is none.
YOLOTS_FN(grad) { return wrapTensor(info.Env(), unwrapTensor(info[0]).grad()); }

// setGrad(tensor, grad | null)
YOLOTS_FN(setGrad) {
  auto& t = unwrapTensor(info[0]);
  t.mutable_grad() = (info[1].IsNull() || info[1].IsUndefined()) ? at::Tensor() : unwrapTensor(info[1]);
  return info.Env().Undefined();
}

// backward(tensors[], grads[] (null entries allowed), retainGraph, createGraph)
YOLOTS_FN(backward) {
  auto tensorsJs = info[0].As<Napi::Array>();
  auto gradsJs = info[1].As<Napi::Array>();
  std::vector<at::Tensor> tensors, grads;
  for (uint32_t i = 0; i < tensorsJs.Length(); i++) {
    tensors.push_back(unwrapTensor(tensorsJs.Get(i)));
    Napi::Value g = i < gradsJs.Length() ? gradsJs.Get(i) : info.Env().Undefined();
    grads.push_back(g.IsNull() || g.IsUndefined() ? at::Tensor() : unwrapTensor(g));
  }
  c10::optional<bool> retain;
  if (info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  torch::autograd::backward(tensors, grads, retain, info[3].ToBoolean().Value());
  return info.Env().Undefined();
}

// setData(tensor, source): swaps the tensor's data in place (PyTorch's `param.data = ...`), keeping its
// identity, requires_grad and the optimizer state keyed on it.
YOLOTS_FN(setData) {
  unwrapTensor(info[0]).set_data(unwrapTensor(info[1]));
  return info.Env().Undefined();
}

YOLOTS_FN(isGradEnabled) { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); }

YOLOTS_FN(setGradEnabled) {
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

void initAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("requiresGrad", Napi::Function::New(env, requiresGrad));
  exports.Set("setRequiresGrad", Napi::Function::New(env, setRequiresGrad));
  exports.Set("isLeaf", Napi::Function::New(env, isLeaf));
  exports.Set("grad", Napi::Function::New(env, grad));
  exports.Set("setGrad", Napi::Function::New(env, setGrad));
  exports.Set("backward", Napi::Function::New(env, backward));
  exports.Set("setData", Napi::Function::New(env, setData));
  exports.Set("isGradEnabled", Napi::Function::New(env, isGradEnabled));
  exports.Set("setGradEnabled", Napi::Function::New(env, setGradEnabled));
}

}  // namespace yolots
