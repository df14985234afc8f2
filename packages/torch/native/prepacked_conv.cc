// Convolutions with their weights reordered once into oneDNN's blocked layout, for inference on CPU.
// The eager path (aten::conv2d → mkldnn_convolution) reorders every weight on every call: for a fused yolov8n at
// 640 that is ~12% of a forward (measured in Python torch 1.13 on the same libtorch: 74 → 65 ms CPU time, 1 thread).
// libtorch's own `mkldnn_prepacked::conv2d_prepack/conv2d_run` (what its frozen TorchScript graphs use) keep the
// reordered weights in a context object; this file holds such a context in a JS handle.
//
// Two pitfalls of those operators, measured, are handled here: (1) the context may keep a view of the weight
// instead of a copy, so a channels-last weight (copied to contiguous inside) left it reading freed memory: the
// handle owns contiguous copies of weight and bias; (2) conv2d_run reads its input as a dense channels-last
// tensor whatever its strides (a channel slice of a C2f split came out wrong): the input is made contiguous
// channels-last first (a no-op for the usual case, the copy the eager convolution makes too otherwise).
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <deque>

#include "errors.h"
#include "handle.h"

namespace yolots {

namespace {

const napi_type_tag kPackedConvTag = {0x3f1d9a7c55e24b08ULL, 0xb6a2e1c4d09f7e35ULL};

struct PackedConv {
  c10::IValue context;
  at::Tensor weight, bias;  // the contiguous copies the context was built from (it may view them)
  at::Tensor sourceWeight, sourceBias;  // the module's tensors, to tell when the packing is stale
  int64_t weightVersion = 0, biasVersion = 0;
};

const c10::OperatorHandle& op(const char* name) {
  // Looked up on first use: a libtorch built without oneDNN has no such operators, and says so then.
  auto handle = c10::Dispatcher::singleton().findSchema({name, ""});
  if (!handle.has_value()) throw std::runtime_error(std::string("this libtorch has no operator ") + name + " (built without oneDNN)");
  static std::deque<c10::OperatorHandle> kept;  // references into it stay valid
  kept.push_back(*handle);
  return kept.back();
}

std::vector<int64_t> ints(const Napi::Value& v) {
  auto array = v.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out[i] = array.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

PackedConv* unwrapPacked(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::Object>().CheckTypeTag(&kPackedConvTag)) {
    throw Napi::TypeError::New(v.Env(), "expected a packed convolution");
  }
  auto* packed = v.As<Napi::External<PackedConv>>().Data();
  if (packed->context.isNone()) throw Napi::Error::New(v.Env(), "this packed convolution was disposed");
  return packed;
}

}  // namespace

// convPrepack(weight, bias|null, stride[2], padding[2], dilation[2], groups, inputSize[4]) -> packed handle.
// inputSize only guides oneDNN's choice of weight layout: other input sizes run with the same context.
YOLOTS_FN(convPrepack) {
  static const auto& prepack = op("mkldnn_prepacked::conv2d_prepack");
  auto env = info.Env();
  const at::Tensor& weight = unwrapTensor(info[0]);
  auto* packed = new PackedConv();
  packed->sourceWeight = weight;
  packed->weightVersion = weight._version();
  packed->weight = weight.detach().contiguous();
  c10::IValue bias;
  if (!info[1].IsNull() && !info[1].IsUndefined()) {
    const at::Tensor& b = unwrapTensor(info[1]);
    packed->sourceBias = b;
    packed->biasVersion = b._version();
    packed->bias = b.detach().contiguous();
    bias = packed->bias;
  }
  torch::jit::Stack stack{packed->weight, bias, ints(info[2]), ints(info[3]), ints(info[4]),
                          info[5].As<Napi::Number>().Int64Value(), ints(info[6]), std::string("none")};
  try {
    prepack.callBoxed(&stack);
  } catch (...) {
    delete packed;
    throw;
  }
  packed->context = std::move(stack.at(0));
  auto external = Napi::External<PackedConv>::New(env, packed, [](Napi::Env, PackedConv* p) { delete p; });
  external.TypeTag(&kPackedConvTag);
  return external;
}

// Whether the packing was made from these very tensors, unchanged since (their version counters move on every
// in-place update: an optimizer step, load_state_dict, copy_).
static bool isCurrent(const PackedConv& packed, const at::Tensor& weight, const Napi::Value& biasValue) {
  if (!weight.is_same(packed.sourceWeight) || weight._version() != packed.weightVersion) return false;
  if (biasValue.IsNull() || biasValue.IsUndefined()) return !packed.sourceBias.defined();
  const at::Tensor& bias = unwrapTensor(biasValue);
  return bias.is_same(packed.sourceBias) && bias._version() == packed.biasVersion;
}

// convPackedRun(input, packed|null, weight, bias|null) -> the output (channels-last); null where the packed operator
// does not apply (not a 4-D float32 CPU input, a gradient to record, CPU autocast on: the caller runs conv2d
// instead); false where there is no packing yet or it is stale (weight or bias replaced or updated since: the caller
// packs and calls again).
YOLOTS_FN(convPackedRun) {
  static const auto& run = op("mkldnn_prepacked::conv2d_run");
  auto env = info.Env();
  const at::Tensor& input = unwrapTensor(info[0]);
  const at::Tensor& weight = unwrapTensor(info[2]);
  bool grad = at::GradMode::is_enabled() && (input.requires_grad() || weight.requires_grad());
  if (grad || at::autocast::is_cpu_enabled() || !input.device().is_cpu() || input.layout() != at::kStrided ||
      input.scalar_type() != at::kFloat || weight.scalar_type() != at::kFloat || input.dim() != 4) {
    return env.Null();
  }
  if (info[1].IsNull()) return Napi::Boolean::New(env, false);
  auto* packed = unwrapPacked(info[1]);
  if (!isCurrent(*packed, weight, info[3])) return Napi::Boolean::New(env, false);
  torch::jit::Stack stack{input.contiguous(at::MemoryFormat::ChannelsLast), packed->context};
  run.callBoxed(&stack);
  return wrapTensor(env, stack.at(0).toTensor());
}

// convPackedDispose(packed): frees the reordered weights now rather than at garbage collection.
YOLOTS_FN(convPackedDispose) {
  if (!info[0].IsExternal() || !info[0].As<Napi::Object>().CheckTypeTag(&kPackedConvTag)) {
    throw Napi::TypeError::New(info.Env(), "expected a packed convolution");
  }
  auto* packed = info[0].As<Napi::External<PackedConv>>().Data();
  *packed = PackedConv();
  return info.Env().Undefined();
}

void initPackedConv(Napi::Env env, Napi::Object exports) {
  exports.Set("convPrepack", Napi::Function::New(env, convPrepack));
  exports.Set("convPackedRun", Napi::Function::New(env, convPackedRun));
  exports.Set("convPackedDispose", Napi::Function::New(env, convPackedDispose));
}

}  // namespace yolots
