// Inference convolutions called on oneDNN directly, with SiLU and a residual add fused in as post-ops.
// libtorch's mkldnn_prepacked::conv2d_run (prepacked_conv.cc) only fuses ReLU: a YOLO Conv then pays a separate
// SiLU pass over its output, and a Bottleneck another pass for `x + cv2(cv1(x))`. Here one oneDNN primitive reads
// the channels-last input where it lies, writes the channels-last output once, and applies swish (alpha 1 = SiLU)
// and the add on the way out; the weights are reordered once into the layout oneDNN picks and kept.
// Built only where the oneDNN headers match the libdnnl.so.2 libtorch itself loads (Debian's libtorch): the same
// library, so one OpenMP pool, which at::set_num_threads sizes (omp_set_num_threads on the calling thread).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>

#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>

#include "errors.h"
#include "handle.h"

namespace yolots {

namespace {

using dnnl::memory;
using Dims = memory::dims;

const napi_type_tag kDnnlConvTag = {0x8c41f0d2a7b3965eULL, 0x2d7e95a1c3f06b48ULL};

// Primitives are cached per input size and epilogue; more input sizes than this (validation with rectangular
// batches) start the cache afresh rather than keep every primitive and weight layout ever seen.
constexpr size_t kMaxPrimitives = 8;

// A primitive splits its work for the thread count it was made under and runs that many threads whatever the
// count is later: the count (torch.setNumThreads) is part of the key.
struct Key {
  Dims input;
  bool silu, residual;
  int threads;
  bool operator<(const Key& o) const {
    return std::tie(input, silu, residual, threads) < std::tie(o.input, o.silu, o.residual, o.threads);
  }
};

struct Primitive {
  dnnl::convolution_forward conv;
  memory weights;  // reordered into the layout this primitive asked for
  memory::desc src, dst;
};

struct DnnlConv {
  at::Tensor sourceWeight, sourceBias;  // the module's tensors, to tell when the weights are stale
  int64_t weightVersion = 0, biasVersion = 0;
  at::Tensor bias;  // contiguous copy that oneDNN reads on every call
  Dims stride, padding, dilation;
  int64_t groups = 1;
  std::map<Key, Primitive> primitives;
  bool disposed = false;
};

const dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

Dims ints(const Napi::Value& v) {
  auto array = v.As<Napi::Array>();
  Dims out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out[i] = array.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

DnnlConv* unwrapConv(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::Object>().CheckTypeTag(&kDnnlConvTag)) {
    throw Napi::TypeError::New(v.Env(), "expected a oneDNN convolution");
  }
  return v.As<Napi::External<DnnlConv>>().Data();
}

memory::desc nhwc(const Dims& sizes) { return memory::desc(sizes, memory::data_type::f32, memory::format_tag::nhwc); }

// The weights as oneDNN sees a plain [O, I/g, kh, kw] tensor: goihw with the groups split out, else oihw.
memory::desc plainWeights(const at::Tensor& w, int64_t groups) {
  if (groups == 1) return memory::desc(w.sizes().vec(), memory::data_type::f32, memory::format_tag::oihw);
  Dims dims{groups, w.size(0) / groups, w.size(1), w.size(2), w.size(3)};
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::goihw);
}

Dims outputSize(const DnnlConv& c, const Dims& in, const at::Tensor& w) {
  Dims out{in[0], w.size(0), 0, 0};
  for (int i = 0; i < 2; i++) {
    out[2 + i] = (in[2 + i] + 2 * c.padding[i] - c.dilation[i] * (w.size(2 + i) - 1) - 1) / c.stride[i] + 1;
  }
  return out;
}

Primitive makePrimitive(DnnlConv& c, const Key& key, const at::Tensor& weight) {
  Dims out = outputSize(c, key.input, weight);
  memory::desc src = nhwc(key.input), dst = nhwc(out);
  memory::desc plain = plainWeights(weight, c.groups);
  memory::desc anyWeights(plain.dims(), memory::data_type::f32, memory::format_tag::any);
  memory::desc bias = c.bias.defined() ? memory::desc({out[1]}, memory::data_type::f32, memory::format_tag::a) : memory::desc();
  // oneDNN counts dilation from 0 and wants the right padding that gives conv2d's (floored) output size exactly.
  Dims dilation{c.dilation[0] - 1, c.dilation[1] - 1}, padRight(2);
  for (int i = 0; i < 2; i++) {
    padRight[i] = (out[2 + i] - 1) * c.stride[i] + c.dilation[i] * (weight.size(2 + i) - 1) + 1 - key.input[2 + i] - c.padding[i];
  }
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                       anyWeights, bias, dst, c.stride, dilation, c.padding, padRight);
  dnnl::post_ops ops;
  if (key.silu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.f, 0.f);
  if (key.residual) ops.append_binary(dnnl::algorithm::binary_add, dst);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, engine());

  Primitive p{dnnl::convolution_forward(pd), memory(), src, dst};
  for (const auto& [k, other] : c.primitives) {
    if (other.weights.get_desc() == pd.weights_desc()) p.weights = other.weights;  // same layout: share it
  }
  if (!p.weights) {
    at::Tensor w = weight.detach().contiguous();
    memory from(plain, engine(), w.data_ptr());
    p.weights = memory(pd.weights_desc(), engine());
    dnnl::reorder(from, p.weights).execute(stream(), from, p.weights);
    stream().wait();
  }
  return p;
}

// Whether the handle was made from these very tensors, unchanged since (version counters move on every in-place
// update: an optimizer step, load_state_dict, copy_).
bool isCurrent(const DnnlConv& c, const at::Tensor& weight, const Napi::Value& biasValue) {
  if (!weight.is_same(c.sourceWeight) || weight._version() != c.weightVersion) return false;
  if (biasValue.IsNull() || biasValue.IsUndefined()) return !c.sourceBias.defined();
  const at::Tensor& bias = unwrapTensor(biasValue);
  return bias.is_same(c.sourceBias) && bias._version() == c.biasVersion;
}

bool isPlainFloat(const at::Tensor& t) {
  return t.device().is_cpu() && t.layout() == at::kStrided && t.scalar_type() == at::kFloat;
}

}  // namespace

// dnnlConvCreate(weight, bias|null, stride[2], padding[2], dilation[2], groups) -> handle. Primitives and the
// reordered weights are made on the first run of each input size.
YOLOTS_FN(dnnlConvCreate) {
  const at::Tensor& weight = unwrapTensor(info[0]);
  auto* c = new DnnlConv();
  c->sourceWeight = weight;
  c->weightVersion = weight._version();
  if (!info[1].IsNull() && !info[1].IsUndefined()) {
    const at::Tensor& b = unwrapTensor(info[1]);
    c->sourceBias = b;
    c->biasVersion = b._version();
    c->bias = b.detach().contiguous();
  }
  c->stride = ints(info[2]);
  c->padding = ints(info[3]);
  c->dilation = ints(info[4]);
  c->groups = info[5].As<Napi::Number>().Int64Value();
  auto external = Napi::External<DnnlConv>::New(info.Env(), c, [](Napi::Env, DnnlConv* p) { delete p; });
  external.TypeTag(&kDnnlConvTag);
  return external;
}

// dnnlConvRun(input, handle|null, weight, bias|null, silu, residual|null) -> silu?(conv2d(input)) (+ residual),
// channels-last. null where this does not apply (not 4-D float32 CPU tensors, a gradient to record, CPU autocast
// on, a residual of another size: the caller computes it unfused); false where the handle is missing or stale
// (the caller makes a new one and calls again).
YOLOTS_FN(dnnlConvRun) {
  auto env = info.Env();
  const at::Tensor& input = unwrapTensor(info[0]);
  const at::Tensor& weight = unwrapTensor(info[2]);
  bool silu = info[4].As<Napi::Boolean>().Value();
  at::Tensor residual = info[5].IsNull() || info[5].IsUndefined() ? at::Tensor() : unwrapTensor(info[5]);
  bool grad = at::GradMode::is_enabled() &&
              (input.requires_grad() || weight.requires_grad() || (residual.defined() && residual.requires_grad()));
  if (grad || at::autocast::is_cpu_enabled() || !isPlainFloat(input) || !isPlainFloat(weight) || input.dim() != 4 ||
      weight.dim() != 4 || (residual.defined() && !isPlainFloat(residual))) {
    return env.Null();
  }
  if (info[1].IsNull()) return Napi::Boolean::New(env, false);
  auto* c = unwrapConv(info[1]);
  if (c->disposed) throw Napi::Error::New(env, "this oneDNN convolution was disposed");
  if (!isCurrent(*c, weight, info[3])) return Napi::Boolean::New(env, false);
  if (input.size(1) != weight.size(1) * c->groups) return env.Null();  // conv2d reports the mismatch

  at::Tensor src = input.contiguous(at::MemoryFormat::ChannelsLast);
  Key key{src.sizes().vec(), silu, residual.defined(), at::get_num_threads()};
  Dims out = outputSize(*c, key.input, weight);
  if (residual.defined() && residual.sizes().vec() != out) return env.Null();  // a broadcast add: left to the caller
  auto found = c->primitives.find(key);
  if (found == c->primitives.end()) {
    if (c->primitives.size() >= kMaxPrimitives) c->primitives.clear();
    found = c->primitives.emplace(key, makePrimitive(*c, key, weight)).first;
  }
  const Primitive& p = found->second;
  at::Tensor dst = at::empty(out, src.options().memory_format(at::MemoryFormat::ChannelsLast));
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(p.src, engine(), src.data_ptr())},
      {DNNL_ARG_WEIGHTS, p.weights},
      {DNNL_ARG_DST, memory(p.dst, engine(), dst.data_ptr())},
  };
  if (c->bias.defined()) args.emplace(DNNL_ARG_BIAS, memory({{out[1]}, memory::data_type::f32, memory::format_tag::a}, engine(), c->bias.data_ptr()));
  at::Tensor add;
  if (residual.defined()) {
    add = residual.contiguous(at::MemoryFormat::ChannelsLast);
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(silu ? 1 : 0) | DNNL_ARG_SRC_1, memory(p.dst, engine(), add.data_ptr()));
  }
  p.conv.execute(stream(), args);
  stream().wait();
  return wrapTensor(env, dst);
}

// dnnlConvDispose(handle): frees the reordered weights and primitives now rather than at garbage collection.
YOLOTS_FN(dnnlConvDispose) {
  auto* c = unwrapConv(info[0]);
  *c = DnnlConv();
  c->disposed = true;
  return info.Env().Undefined();
}

void initDnnlConv(Napi::Env env, Napi::Object exports) {
  exports.Set("dnnlConvCreate", Napi::Function::New(env, dnnlConvCreate));
  exports.Set("dnnlConvRun", Napi::Function::New(env, dnnlConvRun));
  exports.Set("dnnlConvDispose", Napi::Function::New(env, dnnlConvDispose));
}

}  // namespace yolots
