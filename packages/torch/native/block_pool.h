// Large CPU tensor blocks from one reserved address range, kept for reuse when freed (best fit, coalescing):
// a training step's activations do not page-fault again the next step, and do not share a heap with the
// process's other allocations (V8's array buffers, loader threads, libvips), which keep glibc's default policy
// of returning freed memory to the OS. See block_pool.cc for why.
#pragma once
#include <cstddef>
#include <cstdint>

namespace yolots {

struct BlockPoolStats {
  // Bytes of the range in use or free-but-kept (its high-water mark), free blocks among them, and the smallest
  // request the pool serves (0: the pool is off).
  int64_t spanBytes;
  int64_t freeBytes;
  int64_t minBlock;
};

// Reserves the address range; blocks of at least `minBlock` bytes come from it from now on. False (and the pool
// stays off) where the range cannot be reserved.
bool initBlockPool(size_t minBlock);

// A block of at least `size` bytes, or nullptr: the pool is off, `size` is below its minimum, or the range is full
// (the caller then uses malloc).
void* poolAllocate(size_t size);

// Whether `p` is a block this pool handed out.
bool poolOwns(const void* p);

// Gives back a block of `size` bytes (the size it was allocated with).
void poolFree(void* p, size_t size);

// Returns the pages of every free block to the OS (the range stays reserved): the bytes released.
size_t poolRelease();

BlockPoolStats poolStats();

}  // namespace yolots
