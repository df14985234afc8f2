// Entry point of the @yolots/torch native addon: registers each area's functions.
#include <napi.h>

#include "handle.h"
#include "memory.h"

namespace yolots {
void initDispatch(Napi::Env env, Napi::Object exports);
void initTensorData(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initRuntime(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initAutocast(Napi::Env env, Napi::Object exports);
void initPackedConv(Napi::Env env, Napi::Object exports);
#ifdef YOLOTS_DNNL
void initDnnlConv(Napi::Env env, Napi::Object exports);
#endif
}  // namespace yolots

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  yolots::configureMalloc(env);
  yolots::installCountingAllocator();
  yolots::initHandles(env, exports);
  yolots::initMemory(env, exports);
  yolots::initDispatch(env, exports);
  yolots::initTensorData(env, exports);
  yolots::initAutograd(env, exports);
  yolots::initRuntime(env, exports);
  yolots::initDistributed(env, exports);
  yolots::initAutocast(env, exports);
  yolots::initPackedConv(env, exports);
#ifdef YOLOTS_DNNL
  yolots::initDnnlConv(env, exports);  // absent without oneDNN's headers: convolutions then run prepacked_conv.cc
#endif
  return exports;
}

NODE_API_MODULE(yolots_torch, Init)
