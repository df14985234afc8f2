// Native memory accounting: a counting wrapper around libtorch's CPU allocator, so tests and
// leak hunts can read the exact bytes held, and V8 is told about them (napi_adjust_external_memory)
// so its GC pressure reflects tensors it cannot see.
#pragma once
#include <napi.h>

#include <cstdint>

namespace yolots {

int64_t nativeBytes();
int64_t peakNativeBytes();
void resetPeakNativeBytes();

// Reports the change in native bytes since the last report to V8 (cheap; called after ops).
void reportExternalMemory(Napi::Env env);

void installCountingAllocator();
void initMemory(Napi::Env env, Napi::Object exports);

}  // namespace yolots
