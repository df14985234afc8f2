#include "memory.h"

#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <torch/csrc/api/include/torch/version.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "errors.h"

namespace yolots {

static std::atomic<int64_t> gBytes{0};
static std::atomic<int64_t> gPeak{0};
static int64_t gGcOwned = 0;  // only touched on the JS thread

int64_t nativeBytes() { return gBytes.load(); }
int64_t peakNativeBytes() { return gPeak.load(); }
void resetPeakNativeBytes() { gPeak.store(gBytes.load()); }

namespace {

// Each block is a plain malloc with the data aligned by hand to libtorch's 64 bytes; the two words in front of
// the data hold its size (so the deleter can count it down) and the malloc'd pointer. Not posix_memalign (what
// c10::alloc_cpu uses): glibc pads an aligned request beyond the chunk a freed block of the same size leaves, so
// the next step's identical tensor could never reuse it and the heap grew instead (seen with strace: +256 MiB per
// 256 MiB tensor). The data pointer doubles as the DataPtr context, as libtorch's own CPU allocator does (some
// kernels, e.g. oneDNN's, assert exactly that).
constexpr uintptr_t kAlignment = 64;
constexpr size_t kSlack = kAlignment + 2 * sizeof(uintptr_t);

void countedFree(void* data) {
  if (data == nullptr) return;
  auto* meta = static_cast<uintptr_t*>(data) - 2;
  gBytes -= static_cast<int64_t>(meta[0]);
  std::free(reinterpret_cast<void*>(meta[1]));
}

struct CountingAllocator final : public c10::Allocator {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    void* raw = std::malloc(n + kSlack);
    TORCH_CHECK(raw != nullptr, "DefaultCPUAllocator: not enough memory: you tried to allocate ", n, " bytes.");
    uintptr_t aligned = (reinterpret_cast<uintptr_t>(raw) + 2 * sizeof(uintptr_t) + kAlignment - 1) & ~(kAlignment - 1);
    auto* meta = reinterpret_cast<uintptr_t*>(aligned) - 2;
    meta[0] = n;
    meta[1] = reinterpret_cast<uintptr_t>(raw);
    void* data = reinterpret_cast<void*>(aligned);
    int64_t now = (gBytes += static_cast<int64_t>(n));
    int64_t peak = gPeak.load();
    while (now > peak && !gPeak.compare_exchange_weak(peak, now)) {
    }
    return {data, data, &countedFree, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &countedFree; }

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#endif
};

CountingAllocator gCounting;

}  // namespace

void configureMalloc() {
#if defined(__GLIBC__)
  if (std::getenv("YOLOTS_SYSTEM_MALLOC") != nullptr) return;
  // glibc hands every large block back to the OS when it is freed (mmap'd chunks, and a trimmed heap top), so
  // the next training step's identical allocations page-fault and zero-fill it all again: measured ~200k faults
  // and ~10% of a YOLOv8n fwd+bwd step at 640. Keeping freed memory in the heap for reuse (what the jemalloc or
  // tcmalloc preloads recommended for PyTorch on CPU achieve) removes that; `releaseMemory()` gives it back.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

void installCountingAllocator() {
  // Priority above the default (0) so libtorch's CPU tensors are allocated through us.
  c10::SetCPUAllocator(&gCounting, /*priority=*/10);
}

void reportGcOwned(Napi::Env env, int64_t delta) {
  gGcOwned += delta;
  int64_t adjusted = 0;
  napi_adjust_external_memory(env, delta, &adjusted);
}

YOLOTS_FN(memoryStats) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("nativeBytes", Napi::Number::New(env, static_cast<double>(nativeBytes())));
  out.Set("peakNativeBytes", Napi::Number::New(env, static_cast<double>(peakNativeBytes())));
  out.Set("gcOwnedBytes", Napi::Number::New(env, static_cast<double>(gGcOwned)));
  return out;
}

// releaseMemory() -> whether the allocator returned free memory to the OS (see configureMalloc).
YOLOTS_FN(releaseMemory) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

YOLOTS_FN(resetPeakMemory) {
  resetPeakNativeBytes();
  return info.Env().Undefined();
}

void initMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("memoryStats", Napi::Function::New(env, memoryStats));
  exports.Set("resetPeakMemory", Napi::Function::New(env, resetPeakMemory));
  exports.Set("releaseMemory", Napi::Function::New(env, releaseMemory));
}

}  // namespace yolots
