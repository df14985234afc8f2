// Generic access to every ATen operator through libtorch's dispatcher.
// JS asks once for an operator by schema name ("aten::conv2d", overload ""), gets an id, then
// calls it with JS values that are converted by the operator's own schema. Calls go through
// the dispatcher's boxed path, so autograd, grad mode and device dispatch apply as in PyTorch.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <deque>
#include <string>

#include "errors.h"
#include "handle.h"

namespace yolots {

namespace {

std::deque<c10::OperatorHandle>& operators() {
  static std::deque<c10::OperatorHandle> ops;
  return ops;
}

[[noreturn]] void argError(const c10::OperatorHandle& op, const c10::Argument& arg, const std::string& what) {
  throw std::invalid_argument(op.schema().name() + (op.schema().overload_name().empty() ? "" : "." + op.schema().overload_name()) +
                              ": argument '" + arg.name() + "' " + what);
}

int64_t toInt(const Napi::Value& v, const c10::OperatorHandle& op, const c10::Argument& arg) {
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) argError(op, arg, "must be an integer, got " + std::to_string(d));
    return static_cast<int64_t>(d);
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  argError(op, arg, "must be an integer");
}

double toDouble(const Napi::Value& v, const c10::OperatorHandle& op, const c10::Argument& arg) {
  if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1.0 : 0.0;
  argError(op, arg, "must be a number");
}

// JS numbers carry no int/float distinction: an integral value becomes an integer Scalar so that
// integer tensors stay integer (`arange(5).add(1)`), while float tensors are unaffected by it.
c10::Scalar toScalar(const Napi::Value& v, const c10::OperatorHandle& op, const c10::Argument& arg) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) {
    bool lossless = false;
    return c10::Scalar(v.As<Napi::BigInt>().Int64Value(&lossless));
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9.0e15) {
      return c10::Scalar(static_cast<int64_t>(d));
    }
    return c10::Scalar(d);
  }
  argError(op, arg, "must be a number or boolean");
}

c10::IValue toIValue(const Napi::Value& v, const c10::TypePtr& type, const c10::OperatorHandle& op, const c10::Argument& arg);

c10::IValue toListIValue(const Napi::Value& v, const c10::ListTypePtr& type, const c10::OperatorHandle& op,
                         const c10::Argument& arg) {
  const auto& elem = type->getElementType();
  auto kind = elem->kind();
  bool isIntLike = kind == c10::TypeKind::IntType || kind == c10::TypeKind::SymIntType;
  // `kernel_size=3` for an int[2] argument: a scalar broadcasts to the schema's fixed length.
  if ((isIntLike || kind == c10::TypeKind::FloatType || kind == c10::TypeKind::BoolType) && !v.IsArray()) {
    size_t n = arg.N() ? *arg.N() : 1;
    if (isIntLike) return c10::IValue(std::vector<int64_t>(n, toInt(v, op, arg)));
    if (kind == c10::TypeKind::FloatType) return c10::IValue(std::vector<double>(n, toDouble(v, op, arg)));
    c10::List<bool> bools;
    for (size_t i = 0; i < n; i++) bools.push_back(v.ToBoolean().Value());
    return c10::IValue(bools);
  }
  if (!v.IsArray()) argError(op, arg, "must be an array");
  auto array = v.As<Napi::Array>();
  uint32_t n = array.Length();
  if (isIntLike) {
    std::vector<int64_t> out(n);
    for (uint32_t i = 0; i < n; i++) out[i] = toInt(array.Get(i), op, arg);
    return c10::IValue(out);
  }
  if (kind == c10::TypeKind::FloatType) {
    std::vector<double> out(n);
    for (uint32_t i = 0; i < n; i++) out[i] = toDouble(array.Get(i), op, arg);
    return c10::IValue(out);
  }
  if (kind == c10::TypeKind::BoolType) {
    c10::List<bool> out;
    for (uint32_t i = 0; i < n; i++) out.push_back(array.Get(i).ToBoolean().Value());
    return c10::IValue(out);
  }
  // Scalar[] (the per-tensor scalars of _foreach_* ops): a generic list of Number IValues, as TorchScript builds it.
  if (kind == c10::TypeKind::NumberType) {
    c10::impl::GenericList out(c10::NumberType::get());
    out.reserve(n);
    for (uint32_t i = 0; i < n; i++) out.push_back(c10::IValue(toScalar(array.Get(i), op, arg)));
    return c10::IValue(out);
  }
  if (kind == c10::TypeKind::TensorType) {
    c10::List<at::Tensor> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; i++) out.push_back(unwrapTensor(array.Get(i)));
    return c10::IValue(out);
  }
  if (kind == c10::TypeKind::OptionalType &&
      elem->expectRef<c10::OptionalType>().getElementType()->kind() == c10::TypeKind::TensorType) {
    c10::List<c10::optional<at::Tensor>> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; i++) {
      Napi::Value item = array.Get(i);
      if (item.IsNull() || item.IsUndefined()) {
        out.push_back(c10::nullopt);
      } else {
        out.push_back(unwrapTensor(item));
      }
    }
    return c10::IValue(out);
  }
  argError(op, arg, "has an unsupported list type " + type->str());
}

c10::IValue toIValue(const Napi::Value& v, const c10::TypePtr& type, const c10::OperatorHandle& op, const c10::Argument& arg) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      return c10::IValue(unwrapTensor(v));
    case c10::TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return toIValue(v, type->expectRef<c10::OptionalType>().getElementType(), op, arg);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType:
      return c10::IValue(toInt(v, op, arg));
    case c10::TypeKind::FloatType:
      return c10::IValue(toDouble(v, op, arg));
    case c10::TypeKind::BoolType:
      return c10::IValue(v.ToBoolean().Value());
    case c10::TypeKind::NumberType:
      return c10::IValue(toScalar(v, op, arg));
    case c10::TypeKind::StringType:
      if (!v.IsString()) argError(op, arg, "must be a string");
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) argError(op, arg, "must be a device string such as 'cpu' or 'cuda:0'");
      return c10::IValue(c10::Device(v.As<Napi::String>().Utf8Value()));
    case c10::TypeKind::ListType:
      return toListIValue(v, type->expect<c10::ListType>(), op, arg);
    default:
      argError(op, arg, "has an unsupported type " + type->str());
  }
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isScalar()) {
    auto s = v.toScalar();
    if (s.isBoolean()) return Napi::Boolean::New(env, s.toBool());
    return Napi::Number::New(env, s.toDouble());
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(static_cast<uint32_t>(i), wrapTensor(env, list.get(i)));
    return out;
  }
  if (v.isList()) {
    auto list = v.toList();
    auto out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(static_cast<uint32_t>(i), fromIValue(env, list.get(i)));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) out.Set(static_cast<uint32_t>(i), fromIValue(env, elems[i]));
    return out;
  }
  throw std::runtime_error("unsupported return type " + v.tagKind());
}

}  // namespace

// findOp(name, overload) -> id. Throws when libtorch has no such operator.
YOLOTS_FN(findOp) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string overload = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle.has_value()) {
    throw Napi::Error::New(info.Env(), "libtorch has no operator " + name + (overload.empty() ? "" : "." + overload));
  }
  operators().push_back(*handle);
  return Napi::Number::New(info.Env(), static_cast<double>(operators().size() - 1));
}

// opSchema(id) -> the schema string, for error messages and documentation.
YOLOTS_FN(opSchema) {
  auto id = info[0].As<Napi::Number>().Uint32Value();
  std::ostringstream out;
  out << operators().at(id).schema();
  return Napi::String::New(info.Env(), out.str());
}

// callOp(id, args[], kwargs?, keepResult) -> result.
// Positional args follow the schema order (keyword-only ones included); `undefined` means "use the
// schema default"; kwargs fill arguments by name. keepResult=false drops the returned values, for
// in-place ops whose JS wrapper returns `this`.
YOLOTS_FN(callOp) {
  auto env = info.Env();
  auto id = info[0].As<Napi::Number>().Uint32Value();
  const auto& op = operators().at(id);
  const auto& schema = op.schema();
  auto args = info[1].As<Napi::Array>();
  Napi::Object kwargs = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object();
  bool keepResult = info.Length() < 4 || info[3].ToBoolean().Value();
  uint32_t given = args.Length();
  const auto& declared = schema.arguments();
  if (given > declared.size()) {
    std::ostringstream msg;
    msg << schema << ": expected at most " << declared.size() << " arguments, got " << given;
    throw std::invalid_argument(msg.str());
  }

  torch::jit::Stack stack;
  stack.reserve(declared.size());
  for (size_t i = 0; i < declared.size(); i++) {
    const auto& arg = declared[i];
    Napi::Value v = i < given ? args.Get(static_cast<uint32_t>(i)) : env.Undefined();
    if (v.IsUndefined() && !kwargs.IsEmpty() && kwargs.Has(arg.name())) v = kwargs.Get(arg.name());
    if (v.IsUndefined()) {
      if (arg.default_value().has_value()) {
        stack.push_back(*arg.default_value());
        continue;
      }
      if (arg.type()->kind() == c10::TypeKind::OptionalType) {
        stack.emplace_back();
        continue;
      }
      argError(op, arg, "is required");
    }
    stack.push_back(toIValue(v, arg.real_type(), op, arg));
  }

  op.callBoxed(&stack);
  if (!keepResult) return env.Undefined();
  if (stack.size() == 1) return fromIValue(env, stack[0]);
  auto out = Napi::Array::New(env, stack.size());
  for (size_t i = 0; i < stack.size(); i++) out.Set(static_cast<uint32_t>(i), fromIValue(env, stack[i]));
  return out;
}

void initDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("findOp", Napi::Function::New(env, findOp));
  exports.Set("opSchema", Napi::Function::New(env, opSchema));
  exports.Set("callOp", Napi::Function::New(env, callOp));
}

}  // namespace yolots
