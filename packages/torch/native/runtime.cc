// Process-wide libtorch settings: threads, seeds, devices, build information.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/DeviceGuard.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <dlfcn.h>
#include <link.h>
#include <torch/csrc/api/include/torch/version.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "errors.h"
#include "memory.h"

// Defined by binding.gyp when building against a CUDA libtorch with CUDA's runtime headers at hand (the allocator's
// header includes them): libtorch-config.mjs cuda-headers.
#ifdef YOLOTS_CUDA_ALLOCATOR
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace yolots {

YOLOTS_FN(setNumThreads) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: thread count must be >= 1, got " + std::to_string(n));
  at::set_num_threads(n);
  return info.Env().Undefined();
}

YOLOTS_FN(getNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

YOLOTS_FN(manualSeed) {
  auto seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
  auto& hooks = at::detail::getCUDAHooks();
  for (int i = 0; i < hooks.getNumGPUs(); i++) {
    auto gen = hooks.getDefaultCUDAGenerator(i);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
  return info.Env().Undefined();
}

YOLOTS_FN(cudaDeviceCount) {
  return Napi::Number::New(info.Env(), at::detail::getCUDAHooks().hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
}

// Whether the libtorch this addon loaded has its CUDA backend (libc10_cuda registers CUDA's device guard when it is
// loaded), whatever GPUs the machine has: PyTorch's torch.backends.cuda.is_built(), read at run time.
YOLOTS_FN(cudaIsBuilt) { return Napi::Boolean::New(info.Env(), c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)); }

// Waits for every queued kernel on one CUDA device (torch.cuda.synchronize).
YOLOTS_FN(cudaSynchronize) {
  auto index = info[0].As<Napi::Number>().Int64Value();
  auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA()) throw std::runtime_error("cuda.synchronize: no CUDA device is available");
  if (index < 0 || index >= hooks.getNumGPUs())
    throw std::out_of_range("cuda.synchronize: device " + std::to_string(index) + " does not exist (" + std::to_string(hooks.getNumGPUs()) +
                            " visible)");
  hooks.deviceSynchronize(index);
  return info.Env().Undefined();
}

// cudaMemGetInfo of the CUDA runtime that libtorch loaded, looked up at run time among the loaded libraries: the addon
// builds without CUDA headers, and finds pip's libcudart.so.12 as well as an official libtorch's renamed copy
// (libcudart-<hash>.so.12). Its C signature is stable across CUDA versions. Null when no libcudart is loaded (a
// CPU-only libtorch, or one that links the CUDA runtime statically).
using CudaMemGetInfoFn = int (*)(size_t* free, size_t* total);

static CudaMemGetInfoFn findCudaMemGetInfo() {
  CudaMemGetInfoFn found = nullptr;
  dl_iterate_phdr(
      [](dl_phdr_info* lib, size_t, void* out) -> int {
        if (lib->dlpi_name == nullptr || std::strstr(lib->dlpi_name, "libcudart") == nullptr) return 0;
        void* handle = dlopen(lib->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
        if (handle == nullptr) return 0;
        auto fn = reinterpret_cast<CudaMemGetInfoFn>(dlsym(handle, "cudaMemGetInfo"));
        dlclose(handle);  // only undoes RTLD_NOLOAD's reference: the library stays loaded
        if (fn == nullptr) return 0;
        *static_cast<CudaMemGetInfoFn*>(out) = fn;
        return 1;
      },
      &found);
  return found;
}

// [free, total] bytes of CUDA device `index`, as torch.cuda.mem_get_info: device-wide, so memory held by other
// processes and by libtorch's caching allocator counts as used.
YOLOTS_FN(cudaMemGetInfo) {
  auto index = info[0].As<Napi::Number>().Int64Value();
  auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA()) throw std::runtime_error("cuda.memGetInfo: no CUDA device is available");
  if (index < 0 || index >= hooks.getNumGPUs())
    throw std::out_of_range("cuda.memGetInfo: device " + std::to_string(index) + " does not exist (" + std::to_string(hooks.getNumGPUs()) +
                            " visible)");
  auto fn = findCudaMemGetInfo();
  if (fn == nullptr) throw std::runtime_error("cuda.memGetInfo: this libtorch loaded no CUDA runtime library (libcudart) to ask");
  c10::DeviceGuard guard(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index)));
  size_t free = 0;
  size_t total = 0;
  int status = fn(&free, &total);
  if (status != 0) throw std::runtime_error("cuda.memGetInfo: cudaMemGetInfo failed with CUDA error " + std::to_string(status));
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t(0), Napi::Number::New(info.Env(), static_cast<double>(free)));
  out.Set(uint32_t(1), Napi::Number::New(info.Env(), static_cast<double>(total)));
  return out;
}

// Bytes libtorch's CUDA caching allocator holds on device `index`, in use or cached for reuse: PyTorch's
// torch.cuda.memory_reserved, what Ultralytics' GPU_mem column shows. Undefined from an addon built without
// YOLOTS_CUDA_ALLOCATOR: a CPU-only libtorch has no CUDA allocator to ask.
YOLOTS_FN(cudaMemoryReserved) {
#ifdef YOLOTS_CUDA_ALLOCATOR
  auto index = info[0].As<Napi::Number>().Int64Value();
  auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDA()) throw std::runtime_error("cuda.memoryReserved: no CUDA device is available");
  if (index < 0 || index >= hooks.getNumGPUs())
    throw std::out_of_range("cuda.memoryReserved: device " + std::to_string(index) + " does not exist (" +
                            std::to_string(hooks.getNumGPUs()) + " visible)");
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
  // Entry 0 is StatType::AGGREGATE (all pools) in every libtorch since 1.x; the enum moved namespaces in 2.5.
  return Napi::Number::New(info.Env(), static_cast<double>(stats.reserved_bytes[0].current));
#else
  return info.Env().Undefined();
#endif
}

YOLOTS_FN(buildInfo) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("version", Napi::String::New(env, TORCH_VERSION));
  out.Set("config", Napi::String::New(env, at::show_config()));
  out.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  out.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
  out.Set("openmp", Napi::Boolean::New(env, at::hasOpenMP()));
  return out;
}

void initRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, setNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, getNumThreads));
  exports.Set("manualSeed", Napi::Function::New(env, manualSeed));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, cudaDeviceCount));
  exports.Set("cudaIsBuilt", Napi::Function::New(env, cudaIsBuilt));
  exports.Set("cudaSynchronize", Napi::Function::New(env, cudaSynchronize));
  exports.Set("cudaMemGetInfo", Napi::Function::New(env, cudaMemGetInfo));
  exports.Set("cudaMemoryReserved", Napi::Function::New(env, cudaMemoryReserved));
  exports.Set("buildInfo", Napi::Function::New(env, buildInfo));
}

}  // namespace yolots
