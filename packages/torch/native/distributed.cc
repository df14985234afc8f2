// Distributed communication over libtorch's own c10d: a TCPStore for rendezvous, a Gloo process group
// (NCCL too when built against a CUDA libtorch), and the collectives a data-parallel trainer needs.
// Collectives block the calling thread until the Work finishes or the group's timeout passes; a failure
// (a peer died, a timeout) becomes a JS Error and marks the group broken, since the ranks' sequence of
// collectives can no longer be matched up after one of them failed part-way.
#include <ATen/ATen.h>
#include <napi.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/api/include/torch/version.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "errors.h"
#include "handle.h"

namespace yolots {
namespace {

using Millis = std::chrono::milliseconds;

// libtorch 2.x split c10d's ProcessGroup into a dispatching front and per-backend `Backend`s, which now
// carry the collectives; 1.13's ProcessGroupGloo/NCCL are ProcessGroups themselves.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

// Gloo enforces the timeout itself and reports which operation expired; this margin lets its more precise
// message win, while our own wait still bounds a Work that never completes.
constexpr Millis kWaitGrace{2000};

struct StoreBox {
  c10::intrusive_ptr<c10d::Store> store;
  std::string address;
  // Groups made on one store get distinct key prefixes, so their rendezvous keys never collide.
  int groupsCreated = 0;
};

struct GroupBox {
  c10::intrusive_ptr<CollectiveGroup> group;
  std::string backend;
  int rank = 0;
  int worldSize = 1;
  Millis timeout{0};
  std::string brokenBy;
  // Flat buffers of multi-tensor buckets, one per dtype and device, reused by every call.
  std::map<std::string, at::Tensor> workspaces;
};

const napi_type_tag kStoreTag = {0x9d1c6a4e2b3f4c11ULL, 0x8a7e5d3c2b1a0f01ULL};
const napi_type_tag kGroupTag = {0x9d1c6a4e2b3f4c11ULL, 0x8a7e5d3c2b1a0f02ULL};

std::string messageOf(const std::exception& e) {
  if (auto* c10Error = dynamic_cast<const c10::Error*>(&e)) return c10Error->what_without_backtrace();
  return e.what();
}

template <typename Box>
Box* unwrapBox(const Napi::Value& value, const napi_type_tag& tag, const char* what) {
  if (!value.IsExternal() || !value.As<Napi::Object>().CheckTypeTag(&tag)) {
    throw Napi::TypeError::New(value.Env(), std::string("expected a ") + what + " handle");
  }
  return value.As<Napi::External<Box>>().Data();
}

StoreBox& unwrapStore(const Napi::Value& value) {
  auto* box = unwrapBox<StoreBox>(value, kStoreTag, "TCPStore");
  if (!box->store) throw Napi::Error::New(value.Env(), "this TCPStore was closed");
  return *box;
}

GroupBox& unwrapGroup(const Napi::Value& value) {
  auto* box = unwrapBox<GroupBox>(value, kGroupTag, "ProcessGroup");
  if (!box->group) throw Napi::Error::New(value.Env(), "this ProcessGroup was destroyed");
  if (!box->brokenBy.empty()) {
    throw Napi::Error::New(value.Env(), "this ProcessGroup is unusable after an earlier failure (" + box->brokenBy +
                                            "); destroy it and restart all ranks");
  }
  return *box;
}

template <typename Box>
Napi::Value wrapBox(Napi::Env env, Box* box, const napi_type_tag& tag) {
  auto external = Napi::External<Box>::New(env, box, [](Napi::Env, Box* b) { delete b; });
  external.TypeTag(&tag);
  return external;
}

// Runs a blocking step (connecting, rendezvous) on libuv's thread pool and settles a Promise with it,
// so the event loop keeps running while the ranks find each other.
template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<Result()> run, std::function<Napi::Value(Napi::Env, Result&)> settle)
      : Napi::AsyncWorker(env, "yolots.distributed"),
        deferred_(Napi::Promise::Deferred::New(env)),
        run_(std::move(run)),
        settle_(std::move(settle)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = run_();
    } catch (const std::exception& e) {
      SetError(messageOf(e));
    }
  }
  void OnOK() override {
    try {
      deferred_.Resolve(settle_(Env(), result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<Result()> run_;
  std::function<Napi::Value(Napi::Env, Result&)> settle_;
  Result result_{};
};

template <typename Result>
Napi::Value startWorker(Napi::Env env, std::function<Result()> run, std::function<Napi::Value(Napi::Env, Result&)> settle) {
  auto* worker = new PromiseWorker<Result>(env, std::move(run), std::move(settle));
  auto promise = worker->promise();
  worker->Queue();
  return promise;
}

Millis positiveMillis(const Napi::Value& value, const char* name) {
  double ms = value.As<Napi::Number>().DoubleValue();
  if (!(ms > 0)) throw Napi::RangeError::New(value.Env(), std::string(name) + " must be > 0 ms, got " + std::to_string(ms));
  return Millis(static_cast<int64_t>(ms));
}

c10::intrusive_ptr<c10d::Store> openTcpStore(const std::string& host, int port, bool isMaster, Millis timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = isMaster;
  // Waiting for the other ranks is the group rendezvous' job, which reports who is missing.
  options.waitWorkers = false;
  options.timeout = timeout;
  const std::string address = host + ":" + std::to_string(port);
  try {
    return c10::make_intrusive<c10d::TCPStore>(host, options);
  } catch (const std::exception& e) {
    if (isMaster) {
      throw std::runtime_error("TCPStore master could not listen on port " + std::to_string(port) +
                               " (is it already in use? pick another MASTER_PORT): " + messageOf(e));
    }
    throw std::runtime_error("TCPStore could not reach the master at " + address + " within " +
                             std::to_string(timeout.count()) + " ms (is rank 0 running, and MASTER_ADDR/MASTER_PORT right?): " +
                             messageOf(e));
  }
}

// createTcpStore(host, port, isMaster, timeoutMs) -> Promise<store handle>
YOLOTS_FN(createTcpStore) {
  auto env = info.Env();
  std::string host = info[0].As<Napi::String>().Utf8Value();
  int port = info[1].As<Napi::Number>().Int32Value();
  if (port < 0 || port > 65535) throw Napi::RangeError::New(env, "TCPStore port must be in 0..65535, got " + std::to_string(port));
  bool isMaster = info[2].As<Napi::Boolean>().Value();
  Millis timeout = positiveMillis(info[3], "TCPStore timeoutMs");
  return startWorker<c10::intrusive_ptr<c10d::Store>>(
      env, [=] { return openTcpStore(host, port, isMaster, timeout); },
      [=](Napi::Env e, c10::intrusive_ptr<c10d::Store>& store) {
        return wrapBox(e, new StoreBox{store, host + ":" + std::to_string(port)}, kStoreTag);
      });
}

YOLOTS_FN(storeSet) {
  auto& box = unwrapStore(info[0]);
  std::string key = info[1].As<Napi::String>().Utf8Value();
  std::string value = info[2].As<Napi::String>().Utf8Value();
  try {
    box.store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
  } catch (const std::exception& e) {
    throw std::runtime_error("TCPStore " + box.address + " set('" + key + "') failed: " + messageOf(e));
  }
  return info.Env().Undefined();
}

// Blocks until the key exists or the store's timeout passes.
YOLOTS_FN(storeGet) {
  auto& box = unwrapStore(info[0]);
  std::string key = info[1].As<Napi::String>().Utf8Value();
  try {
    auto value = box.store->get(key);
    return Napi::String::New(info.Env(), std::string(value.begin(), value.end()));
  } catch (const std::exception& e) {
    throw std::runtime_error("TCPStore " + box.address + " get('" + key + "') failed (no rank set it in time?): " + messageOf(e));
  }
}

YOLOTS_FN(storeAdd) {
  auto& box = unwrapStore(info[0]);
  std::string key = info[1].As<Napi::String>().Utf8Value();
  int64_t delta = info[2].As<Napi::Number>().Int64Value();
  try {
    return Napi::Number::New(info.Env(), static_cast<double>(box.store->add(key, delta)));
  } catch (const std::exception& e) {
    throw std::runtime_error("TCPStore " + box.address + " add('" + key + "') failed: " + messageOf(e));
  }
}

// prefixStore(store, prefix) -> a view of the store whose keys all start with `prefix/`.
YOLOTS_FN(prefixStore) {
  auto& box = unwrapStore(info[0]);
  std::string prefix = info[1].As<Napi::String>().Utf8Value();
  auto view = c10::make_intrusive<c10d::PrefixStore>(prefix, box.store);
  return wrapBox(info.Env(), new StoreBox{view, box.address + " (prefix " + prefix + ")"}, kStoreTag);
}

YOLOTS_FN(storeClose) {
  auto* box = unwrapBox<StoreBox>(info[0], kStoreTag, "TCPStore");
  box->store.reset();
  return info.Env().Undefined();
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string& interface, const std::string& hostname) {
  if (!interface.empty()) return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (!hostname.empty()) return c10d::ProcessGroupGloo::createDeviceForHostname(hostname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

struct GroupSpec {
  std::string backend;
  int rank;
  int worldSize;
  Millis timeout;
  std::string interface;
  std::string hostname;
};

c10::intrusive_ptr<CollectiveGroup> makeGroup(const c10::intrusive_ptr<c10d::Store>& store, const GroupSpec& spec) {
  const std::string who = spec.backend + " process group rendezvous (rank " + std::to_string(spec.rank) + " of " +
                          std::to_string(spec.worldSize) + ", timeout " + std::to_string(spec.timeout.count()) + " ms)";
  try {
    if (spec.backend == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create(spec.timeout);
      options->devices.push_back(glooDevice(spec.interface, spec.hostname));
      return c10::make_intrusive<c10d::ProcessGroupGloo>(store, spec.rank, spec.worldSize, options);
    }
#ifdef USE_C10D_NCCL
    if (spec.backend == "nccl") {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = spec.timeout;
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, spec.rank, spec.worldSize, options);
    }
#endif
  } catch (const std::exception& e) {
    throw std::runtime_error(who + " failed (did all ranks start, with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE?): " +
                             messageOf(e));
  }
  throw std::runtime_error("unknown or unavailable backend '" + spec.backend + "'");
}

std::vector<std::string> availableBackends() {
  std::vector<std::string> backends{"gloo"};
#ifdef USE_C10D_NCCL
  backends.push_back("nccl");
#endif
  return backends;
}

YOLOTS_FN(backends) {
  auto env = info.Env();
  auto names = availableBackends();
  auto out = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) out.Set(i, Napi::String::New(env, names[i]));
  return out;
}

// newProcessGroup(store, backend, rank, worldSize, timeoutMs, glooInterface, glooHostname) -> Promise<group handle>
YOLOTS_FN(newProcessGroup) {
  auto env = info.Env();
  auto& storeBox = unwrapStore(info[0]);
  GroupSpec spec{info[1].As<Napi::String>().Utf8Value(),
                 info[2].As<Napi::Number>().Int32Value(),
                 info[3].As<Napi::Number>().Int32Value(),
                 positiveMillis(info[4], "process group timeoutMs"),
                 info[5].As<Napi::String>().Utf8Value(),
                 info[6].As<Napi::String>().Utf8Value()};
  auto names = availableBackends();
  if (std::find(names.begin(), names.end(), spec.backend) == names.end()) {
    std::string hint = spec.backend == "nccl" ? " (NCCL needs the addon built against a CUDA libtorch; see docs/distributed.md)" : "";
    throw Napi::Error::New(env, "backend '" + spec.backend + "' is not available in this build" + hint);
  }
  if (spec.worldSize < 1) throw Napi::RangeError::New(env, "worldSize must be >= 1, got " + std::to_string(spec.worldSize));
  if (spec.rank < 0 || spec.rank >= spec.worldSize) {
    throw Napi::RangeError::New(env, "rank must be in 0.." + std::to_string(spec.worldSize - 1) + ", got " + std::to_string(spec.rank));
  }
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("yolots_pg" + std::to_string(storeBox.groupsCreated++) + "/", storeBox.store);
  c10::intrusive_ptr<c10d::Store> store = prefixed;
  return startWorker<c10::intrusive_ptr<CollectiveGroup>>(
      env, [=] { return makeGroup(store, spec); },
      [=](Napi::Env e, c10::intrusive_ptr<CollectiveGroup>& group) {
        return wrapBox(e, new GroupBox{group, spec.backend, spec.rank, spec.worldSize, spec.timeout, "", {}}, kGroupTag);
      });
}

YOLOTS_FN(destroyProcessGroup) {
  auto* box = unwrapBox<GroupBox>(info[0], kGroupTag, "ProcessGroup");
  // Joins the group's worker threads; any in-flight Gloo operation ends within the group's timeout.
  box->group.reset();
  box->workspaces.clear();
  return info.Env().Undefined();
}

// Runs one collective step; a failure marks the group broken and names the operation, rank and backend.
void collective(GroupBox& g, const std::string& what, const std::function<void()>& step) {
  try {
    step();
  } catch (const std::exception& e) {
    g.brokenBy = what + " failed on rank " + std::to_string(g.rank) + " of " + std::to_string(g.worldSize) + " (" + g.backend +
                 ", timeout " + std::to_string(g.timeout.count()) + " ms): " + messageOf(e);
    throw std::runtime_error(g.brokenBy);
  }
}

void waitFor(GroupBox& g, const c10::intrusive_ptr<c10d::Work>& work) { work->wait(g.timeout + kWaitGrace); }

std::vector<at::Tensor> unwrapTensorList(const Napi::Value& value) {
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> tensors;
  tensors.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) tensors.push_back(unwrapTensor(array.Get(i)));
  return tensors;
}

// DDP-style buckets: consecutive tensors of one dtype and device, up to `bucketBytes` each (a single
// larger tensor gets a bucket of its own).
std::vector<std::vector<at::Tensor>> planBuckets(const std::vector<at::Tensor>& tensors, int64_t bucketBytes) {
  std::vector<std::vector<at::Tensor>> buckets;
  int64_t filled = 0;
  for (const auto& t : tensors) {
    if (t.numel() == 0) continue;
    int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    bool fits = !buckets.empty() && filled + bytes <= bucketBytes && buckets.back().front().scalar_type() == t.scalar_type() &&
                buckets.back().front().device() == t.device();
    if (!fits) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(t);
    filled += bytes;
  }
  return buckets;
}

bool travelsAlone(const std::vector<at::Tensor>& bucket) { return bucket.size() == 1 && bucket.front().is_contiguous(); }

int64_t numelOf(const std::vector<at::Tensor>& bucket) {
  int64_t numel = 0;
  for (const auto& t : bucket) numel += t.numel();
  return numel;
}

std::string workspaceKey(const at::Tensor& t) { return std::string(c10::toString(t.scalar_type())) + "@" + t.device().str(); }

// The buffer each bucket travels in: the tensor itself when it is alone and contiguous (no copies), else a
// slice of a flat workspace per dtype and device that the group keeps between calls, as DDP keeps its
// buckets: no allocation (and no page faults on fresh memory) per training step.
std::vector<at::Tensor> bucketBuffers(GroupBox& g, const std::vector<std::vector<at::Tensor>>& buckets) {
  std::map<std::string, int64_t> needed;
  for (const auto& bucket : buckets) {
    if (travelsAlone(bucket)) continue;
    auto key = workspaceKey(bucket.front());
    needed[key] += numelOf(bucket);
    auto& workspace = g.workspaces[key];
    if (!workspace.defined() || workspace.numel() < needed[key]) workspace = at::empty({needed[key]}, bucket.front().options());
  }
  std::map<std::string, int64_t> used;
  std::vector<at::Tensor> buffers;
  for (const auto& bucket : buckets) {
    if (travelsAlone(bucket)) {
      buffers.push_back(bucket.front());
      continue;
    }
    auto key = workspaceKey(bucket.front());
    buffers.push_back(g.workspaces[key].narrow(0, used[key], numelOf(bucket)));
    used[key] += numelOf(bucket);
  }
  return buffers;
}

// Copies a bucket into its buffer, dividing by `divisor` on the way when averaging (as DDP does: each
// rank's share is divided before the sum, in the same pass as the copy).
void packBucket(const at::Tensor& buffer, const std::vector<at::Tensor>& bucket, int divisor) {
  if (travelsAlone(bucket) && buffer.is_same(bucket.front())) {
    if (divisor != 1) buffer.div_(divisor);
    return;
  }
  int64_t offset = 0;
  for (const auto& t : bucket) {
    auto slot = buffer.narrow(0, offset, t.numel()).view(t.sizes());
    if (divisor != 1) {
      at::div_out(slot, t, at::scalar_tensor(divisor, t.options()));
    } else {
      slot.copy_(t);
    }
    offset += t.numel();
  }
}

void unpackBucket(const at::Tensor& buffer, const std::vector<at::Tensor>& bucket) {
  if (travelsAlone(bucket) && buffer.is_same(bucket.front())) return;
  int64_t offset = 0;
  for (const auto& t : bucket) {
    t.copy_(buffer.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

void checkDense(const std::vector<at::Tensor>& tensors, const char* op, Napi::Env env) {
  for (size_t i = 0; i < tensors.size(); i++) {
    if (tensors[i].layout() != at::kStrided) {
      throw Napi::TypeError::New(env, std::string(op) + ": tensor " + std::to_string(i) + " is not a dense (strided) tensor");
    }
  }
}

// allReduce(group, tensors, average, bucketBytes): sums (or averages) every tensor across ranks, in place.
YOLOTS_FN(allReduce) {
  auto env = info.Env();
  auto& g = unwrapGroup(info[0]);
  auto tensors = unwrapTensorList(info[1]);
  bool average = info[2].As<Napi::Boolean>().Value();
  int64_t bucketBytes = info[3].As<Napi::Number>().Int64Value();
  checkDense(tensors, "allReduce", env);
  if (average) {
    for (size_t i = 0; i < tensors.size(); i++) {
      if (!at::isFloatingType(tensors[i].scalar_type())) {
        throw Napi::TypeError::New(env, "allReduce op 'avg': tensor " + std::to_string(i) + " is " +
                                            std::string(c10::toString(tensors[i].scalar_type())) + ", averaging needs a floating dtype");
      }
    }
  }
  at::NoGradGuard noGrad;
  auto buckets = planBuckets(tensors, bucketBytes);
  collective(g, "allReduce of " + std::to_string(tensors.size()) + " tensors in " + std::to_string(buckets.size()) + " buckets", [&] {
    // Every bucket is queued before the first wait, so packing bucket k+1 overlaps the transfer of bucket k.
    auto buffers = bucketBuffers(g, buckets);
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    c10d::AllreduceOptions options;
    options.timeout = g.timeout;
    for (size_t b = 0; b < buckets.size(); b++) {
      packBucket(buffers[b], buckets[b], average ? g.worldSize : 1);
      std::vector<at::Tensor> io{buffers[b]};
      works.push_back(g.group->allreduce(io, options));
    }
    for (size_t b = 0; b < buckets.size(); b++) {
      waitFor(g, works[b]);
      unpackBucket(buffers[b], buckets[b]);
    }
  });
  return env.Undefined();
}

// broadcast(group, tensors, root, bucketBytes): overwrites every rank's tensors with root's, in place.
YOLOTS_FN(broadcast) {
  auto env = info.Env();
  auto& g = unwrapGroup(info[0]);
  auto tensors = unwrapTensorList(info[1]);
  int root = info[2].As<Napi::Number>().Int32Value();
  int64_t bucketBytes = info[3].As<Napi::Number>().Int64Value();
  checkDense(tensors, "broadcast", env);
  if (root < 0 || root >= g.worldSize) {
    throw Napi::RangeError::New(env, "broadcast root must be in 0.." + std::to_string(g.worldSize - 1) + ", got " + std::to_string(root));
  }
  at::NoGradGuard noGrad;
  auto buckets = planBuckets(tensors, bucketBytes);
  collective(g, "broadcast from rank " + std::to_string(root) + " of " + std::to_string(tensors.size()) + " tensors", [&] {
    auto buffers = bucketBuffers(g, buckets);
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = g.timeout;
    for (size_t b = 0; b < buckets.size(); b++) {
      if (g.rank == root) packBucket(buffers[b], buckets[b], 1);
      std::vector<at::Tensor> io{buffers[b]};
      works.push_back(g.group->broadcast(io, options));
    }
    for (size_t b = 0; b < buckets.size(); b++) {
      waitFor(g, works[b]);
      if (g.rank != root) unpackBucket(buffers[b], buckets[b]);
    }
  });
  return env.Undefined();
}

YOLOTS_FN(barrier) {
  auto& g = unwrapGroup(info[0]);
  collective(g, "barrier", [&] {
    c10d::BarrierOptions options;
    options.timeout = g.timeout;
    waitFor(g, g.group->barrier(options));
  });
  return info.Env().Undefined();
}

// allGather(group, tensor) -> one new tensor per rank, in rank order.
YOLOTS_FN(allGather) {
  auto env = info.Env();
  auto& g = unwrapGroup(info[0]);
  at::Tensor input = unwrapTensor(info[1]).detach().contiguous();
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < g.worldSize; r++) outputs[0].push_back(at::empty_like(input));
  collective(g, "allGather of a " + std::string(c10::toString(input.scalar_type())) + " tensor", [&] {
    std::vector<at::Tensor> inputs{input};
    c10d::AllgatherOptions options;
    options.timeout = g.timeout;
    waitFor(g, g.group->allgather(outputs, inputs, options));
  });
  auto out = Napi::Array::New(env, outputs[0].size());
  for (size_t r = 0; r < outputs[0].size(); r++) out.Set(r, wrapTensor(env, outputs[0][r]));
  return out;
}

}  // namespace

void initDistributed(Napi::Env env, Napi::Object exports) {
  auto d = Napi::Object::New(env);
  d.Set("createTcpStore", Napi::Function::New(env, createTcpStore));
  d.Set("storeSet", Napi::Function::New(env, storeSet));
  d.Set("storeGet", Napi::Function::New(env, storeGet));
  d.Set("storeAdd", Napi::Function::New(env, storeAdd));
  d.Set("prefixStore", Napi::Function::New(env, prefixStore));
  d.Set("storeClose", Napi::Function::New(env, storeClose));
  d.Set("backends", Napi::Function::New(env, backends));
  d.Set("newProcessGroup", Napi::Function::New(env, newProcessGroup));
  d.Set("destroyProcessGroup", Napi::Function::New(env, destroyProcessGroup));
  d.Set("allReduce", Napi::Function::New(env, allReduce));
  d.Set("broadcast", Napi::Function::New(env, broadcast));
  d.Set("barrier", Napi::Function::New(env, barrier));
  d.Set("allGather", Napi::Function::New(env, allGather));
  exports.Set("distributed", d);
}

}  // namespace yolots
