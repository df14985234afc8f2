// Why a pool of its own, rather than glibc's heap told to keep everything (mallopt: no mmap, no trim), which
// yolots did before: that setting is process-wide, so every thread's freed memory stayed resident too — the loader
// threads' per-batch image buffers in their own arenas, V8's array buffers — and tensor holes were shared with
// small long-lived allocations (oneDNN's primitive cache, optimizer state made mid-run) that split them. Here only
// libtorch's large CPU blocks are kept; everything else returns to the OS under glibc's default rules. The measured
// effect on training's peak RSS is in docs/performance.md ("Memory").
//
// The range is reserved PROT_NONE (no memory, no commit charge) and made writable as its high-water mark grows.
// It starts on a 2 MiB boundary, so that transparent huge pages line up with it. Blocks are multiples of kGranule;
// a request takes the smallest free block that fits (its remainder stays free), else extends the high-water mark;
// a freed block merges with free neighbours. Free blocks keep their pages until poolRelease()
// (torch.releaseMemory()) returns them with MADV_DONTNEED.
#include "block_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace yolots {
namespace {

constexpr size_t kGranule = size_t{64} << 10;
constexpr size_t kHugePage = size_t{2} << 20;
// The writable part grows by at least this much at a time (fewer mprotect calls, one mapping).
constexpr size_t kCommitStep = size_t{64} << 20;

size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct Pool {
  std::mutex mutex;
  char* base = nullptr;
  size_t reserved = 0;
  size_t committed = 0;  // writable bytes from base
  size_t top = 0;        // high-water mark: blocks and free blocks all lie below
  std::atomic<size_t> minBlock{0};  // 0: off; read without the lock
  size_t freeBytes = 0;
  std::map<size_t, size_t> freeByOffset;           // offset -> size
  std::set<std::pair<size_t, size_t>> freeBySize;  // (size, offset), for best fit

  void addFree(size_t offset, size_t size) {
    freeByOffset.emplace(offset, size);
    freeBySize.emplace(size, offset);
    freeBytes += size;
  }

  void removeFree(std::map<size_t, size_t>::iterator it) {
    freeBySize.erase({it->second, it->first});
    freeBytes -= it->second;
    freeByOffset.erase(it);
  }

  bool commit(size_t end) {
    if (end <= committed) return true;
    size_t target = std::min(reserved, roundUp(std::max(end, committed + kCommitStep), kGranule));
    if (mprotect(base + committed, target - committed, PROT_READ | PROT_WRITE) != 0) return false;
    // Transparent huge pages where the kernel offers them on request ("madvise" mode, the usual default): a
    // block's first touch then faults 2 MiB at a time instead of 4 KiB. The trainer releases the pool between
    // training and validation, so each epoch's first step touches its memory anew: measured (bench/train-memory.ts,
    // yolov8n, coco128, 640) 702k page faults and 9.2 s for that step against 2.4 s for a steady one; with huge
    // pages 15k faults and 5.2 s. Advice only: ignored where THP is off.
    madvise(base + committed, target - committed, MADV_HUGEPAGE);
    committed = target;
    return true;
  }
};

Pool gPool;

}  // namespace

bool initBlockPool(size_t minBlock) {
  // Address space only: four times the RAM (at most 1 TiB), far more than any process here can fill.
  long pages = sysconf(_SC_PHYS_PAGES);
  long pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) return false;
  size_t reserve = std::min(roundUp(static_cast<size_t>(pages) * static_cast<size_t>(pageSize) * 4, kGranule), size_t{1} << 40);
  void* base = mmap(nullptr, reserve + kHugePage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  // Blocks start on a huge-page boundary (and so on a kGranule one: data alignment beyond any kernel's need).
  auto raw = reinterpret_cast<uintptr_t>(base);
  auto aligned = roundUp(raw, kHugePage);
  std::lock_guard<std::mutex> lock(gPool.mutex);
  gPool.base = reinterpret_cast<char*>(aligned);
  gPool.reserved = reserve;
  gPool.minBlock.store(std::max<size_t>(minBlock, 1));
  return true;
}

void* poolAllocate(size_t size) {
  size_t minBlock = gPool.minBlock.load(std::memory_order_relaxed);
  if (minBlock == 0 || size < minBlock) return nullptr;
  size_t need = roundUp(size, kGranule);
  std::lock_guard<std::mutex> lock(gPool.mutex);
  auto fit = gPool.freeBySize.lower_bound({need, 0});
  if (fit != gPool.freeBySize.end()) {
    auto [blockSize, offset] = *fit;
    gPool.removeFree(gPool.freeByOffset.find(offset));
    if (blockSize > need) gPool.addFree(offset + need, blockSize - need);
    return gPool.base + offset;
  }
  // Nothing fits: extend the high-water mark, starting inside a free block that ends at it.
  size_t offset = gPool.top;
  auto last = gPool.freeByOffset.empty() ? gPool.freeByOffset.end() : std::prev(gPool.freeByOffset.end());
  bool mergeLast = last != gPool.freeByOffset.end() && last->first + last->second == gPool.top;
  if (mergeLast) offset = last->first;
  if (offset + need > gPool.reserved || !gPool.commit(offset + need)) return nullptr;
  if (mergeLast) gPool.removeFree(last);
  gPool.top = offset + need;
  return gPool.base + offset;
}

bool poolOwns(const void* p) {
  auto* c = static_cast<const char*>(p);
  return gPool.base != nullptr && c >= gPool.base && c < gPool.base + gPool.reserved;
}

void poolFree(void* p, size_t size) {
  size_t offset = static_cast<size_t>(static_cast<char*>(p) - gPool.base);
  size_t length = roundUp(size, kGranule);
  std::lock_guard<std::mutex> lock(gPool.mutex);
  auto next = gPool.freeByOffset.find(offset + length);
  if (next != gPool.freeByOffset.end()) {
    length += next->second;
    gPool.removeFree(next);
  }
  auto after = gPool.freeByOffset.lower_bound(offset);
  if (after != gPool.freeByOffset.begin()) {
    auto prev = std::prev(after);
    if (prev->first + prev->second == offset) {
      offset = prev->first;
      length += prev->second;
      gPool.removeFree(prev);
    }
  }
  gPool.addFree(offset, length);
}

size_t poolRelease() {
  std::lock_guard<std::mutex> lock(gPool.mutex);
  size_t released = 0;
  for (auto [offset, size] : gPool.freeByOffset) {
    if (madvise(gPool.base + offset, size, MADV_DONTNEED) == 0) released += size;
  }
  return released;
}

BlockPoolStats poolStats() {
  std::lock_guard<std::mutex> lock(gPool.mutex);
  return {static_cast<int64_t>(gPool.top), static_cast<int64_t>(gPool.freeBytes), static_cast<int64_t>(gPool.minBlock.load())};
}

}  // namespace yolots
