// torch.cuda: what the loaded libtorch knows of CUDA. The answers come from libtorch at run time, so they hold for
// whichever libtorch the addon was built against (Debian's CPU-only one by default; see the README's build section).
import { native } from './native.js';

/**
 * Whether this libtorch has its CUDA backend (PyTorch's `torch.backends.cuda.is_built()`), whether or not a GPU is
 * present. False for the default Debian build: CUDA tensors are then impossible, not merely absent.
 */
export function isBuilt(): boolean {
  return native.cudaIsBuilt();
}

/** Whether a CUDA device can be used now: a CUDA build, a driver and at least one visible GPU (`torch.cuda.is_available()`). */
export function isAvailable(): boolean {
  return native.cudaDeviceCount() > 0;
}

/** Visible CUDA devices (0 on a CPU-only build or a machine without GPUs), as `torch.cuda.device_count()`. */
export function deviceCount(): number {
  return native.cudaDeviceCount();
}

/**
 * Waits for all queued work on CUDA device `index` (default 0) to finish, as `torch.cuda.synchronize()`: for timing,
 * since CUDA kernels run asynchronously. Throws when the device does not exist.
 */
export function synchronize(index = 0): void {
  native.cudaSynchronize(index);
}

/**
 * Free and total memory of CUDA device `index` (default 0) in bytes, as `torch.cuda.mem_get_info()`: device-wide, so
 * memory other processes hold, and memory libtorch's caching allocator keeps for reuse, count as used. Throws when
 * the device does not exist, or when this libtorch loaded no CUDA runtime library to ask.
 * @example const [free, total] = torch.cuda.memGetInfo(0);
 */
export function memGetInfo(index = 0): [free: number, total: number] {
  return native.cudaMemGetInfo(index);
}

/**
 * Bytes libtorch's CUDA caching allocator holds on device `index` (default 0), in use or cached for reuse: PyTorch's
 * `torch.cuda.memory_reserved()`, what Ultralytics' `GPU_mem` column shows. Unlike `memGetInfo`, other processes'
 * memory does not count. Undefined when the addon was built without the allocator's statistics: against a CPU-only
 * libtorch (no CUDA allocator to ask), or a CUDA one whose build found no CUDA runtime headers (set CUDA_HOME).
 * Throws when the device does not exist.
 * @example const gb = (torch.cuda.memoryReserved(0) ?? 0) / 1e9;
 */
export function memoryReserved(index = 0): number | undefined {
  return native.cudaMemoryReserved(index);
}
