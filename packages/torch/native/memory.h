// Native memory accounting: a counting wrapper around libtorch's CPU allocator, so tests and
// leak hunts can read the exact bytes held. (What V8 is told is per handle: see handle.h.)
#pragma once
#include <napi.h>

#include <cstdint>

namespace yolots {

int64_t nativeBytes();
int64_t peakNativeBytes();
void resetPeakNativeBytes();

// Tells V8 that `delta` more (or, negative, fewer) native bytes now live or die at the GC's discretion.
void reportGcOwned(Napi::Env env, int64_t delta);

// Chooses what freed memory becomes (YOLOTS_MALLOC: pool, heap or system; see memory.cc). Throws a JS error
// for a bad setting. Runs once per process.
void configureMalloc(Napi::Env env);

void installCountingAllocator();
void initMemory(Napi::Env env, Napi::Object exports);

}  // namespace yolots
