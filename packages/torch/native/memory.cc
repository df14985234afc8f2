#include "memory.h"

#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <torch/csrc/api/include/torch/version.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "block_pool.h"
#include "errors.h"

namespace yolots {

static std::atomic<int64_t> gBytes{0};
static std::atomic<int64_t> gPeak{0};
static int64_t gGcOwned = 0;  // only touched on the JS thread

int64_t nativeBytes() { return gBytes.load(); }
int64_t peakNativeBytes() { return gPeak.load(); }
void resetPeakNativeBytes() { gPeak.store(gBytes.load()); }

namespace {

// Each block is a block_pool block (large tensors, in the default `pool` mode) or a plain malloc, with the data
// aligned by hand to libtorch's 64 bytes; the two words in front of the data hold its size (so the deleter can
// count it down) and the block's start (pool or malloc'd pointer). Not posix_memalign (what
// c10::alloc_cpu uses): glibc pads an aligned request beyond the chunk a freed block of the same size leaves, so
// the next step's identical tensor could never reuse it and the heap grew instead (seen with strace: +256 MiB per
// 256 MiB tensor). The data pointer doubles as the DataPtr context, as libtorch's own CPU allocator does (some
// kernels, e.g. oneDNN's, assert exactly that).
constexpr uintptr_t kAlignment = 64;
constexpr size_t kSlack = kAlignment + 2 * sizeof(uintptr_t);

void countedFree(void* data) {
  if (data == nullptr) return;
  auto* meta = static_cast<uintptr_t*>(data) - 2;
  auto size = meta[0];
  auto* raw = reinterpret_cast<void*>(meta[1]);
  gBytes -= static_cast<int64_t>(size);
  if (poolOwns(raw)) {
    poolFree(raw, size + kSlack);
  } else {
    std::free(raw);
  }
}

struct CountingAllocator final : public c10::Allocator {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    void* raw = poolAllocate(n + kSlack);
    if (raw == nullptr) raw = std::malloc(n + kSlack);
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

const char* gMallocMode = "system";

size_t poolMinBytes(Napi::Env env) {
  const char* text = std::getenv("YOLOTS_POOL_MIN_BYTES");
  if (text == nullptr || *text == '\0') return size_t{1} << 20;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0' || value == 0) {
    throw Napi::Error::New(env, std::string("YOLOTS_POOL_MIN_BYTES must be a positive number of bytes, got '") + text + "'");
  }
  return static_cast<size_t>(value);
}

// glibc keeps every thread's freed memory: no mmap'd chunks, no trimming.
void keepAllFreedMemory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

}  // namespace

// What freed memory becomes, chosen by YOLOTS_MALLOC (docs/performance.md, "Memory", has the measurements):
//  pool (default)  tensors of at least YOLOTS_POOL_MIN_BYTES (1 MiB) come from block_pool and are kept for reuse:
//                  handed back to the OS, a training step's activations page-fault and zero-fill again each step
//                  (measured ~200k faults, ~10% of a YOLOv8n fwd+bwd step at 640). Everything else: glibc's defaults.
//  heap            glibc keeps every thread's freed memory (no mmap'd chunks, no trimming): yolots before the pool.
//  system          glibc's defaults for everything, as PyTorch (YOLOTS_SYSTEM_MALLOC=1 is the older spelling).
void configureMalloc(Napi::Env env) {
  // Once per process: worker threads that load the addon find it done.
  static bool done = false;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (done) return;
  const char* mode = std::getenv("YOLOTS_MALLOC");
  std::string m = mode != nullptr && *mode != '\0' ? mode : std::getenv("YOLOTS_SYSTEM_MALLOC") != nullptr ? "system" : "pool";
  if (m == "pool") {
    size_t minBlock = poolMinBytes(env);
    if (initBlockPool(minBlock)) {
      gMallocMode = "pool";
    } else {
      keepAllFreedMemory();  // no address range to reserve: keep freed memory the older way
      gMallocMode = "heap";
    }
  } else if (m == "heap") {
    keepAllFreedMemory();
    gMallocMode = "heap";
  } else if (m != "system") {
    throw Napi::Error::New(env, "YOLOTS_MALLOC must be pool, heap or system, got '" + m + "'");
  }
  done = true;
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
  auto pool = poolStats();
  out.Set("allocator", Napi::String::New(env, gMallocMode));
  out.Set("poolBytes", Napi::Number::New(env, static_cast<double>(pool.spanBytes)));
  out.Set("poolFreeBytes", Napi::Number::New(env, static_cast<double>(pool.freeBytes)));
  return out;
}

// releaseMemory() -> whether free memory went back to the OS: the pool's free blocks, and glibc's (malloc_trim).
YOLOTS_FN(releaseMemory) {
  bool released = poolRelease() > 0;
#if defined(__GLIBC__)
  released = malloc_trim(0) != 0 || released;
#endif
  return Napi::Boolean::New(info.Env(), released);
}

// mallocInfo() -> glibc's malloc_info() XML (every arena's size and free bytes, mmapped chunks), or null elsewhere.
// Parsed in JS (runtime.ts mallocStats): a diagnostic, called between steps, not in a hot loop.
YOLOTS_FN(mallocInfo) {
  auto env = info.Env();
#if defined(__GLIBC__)
  char* buffer = nullptr;
  size_t length = 0;
  FILE* stream = open_memstream(&buffer, &length);
  if (stream == nullptr) return env.Null();
  malloc_info(0, stream);
  std::fclose(stream);
  std::string xml(buffer, length);
  std::free(buffer);
  return Napi::String::New(env, xml);
#else
  return env.Null();
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
  exports.Set("mallocInfo", Napi::Function::New(env, mallocInfo));
}

}  // namespace yolots
