// Process-wide settings and introspection: threads, seeds, devices, memory accounting, build info.
import { availableParallelism } from 'node:os';
import { native } from './native.js';

/** Threads libtorch uses for intra-op parallelism. */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Seeds libtorch's CPU (and CUDA) generators, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** Same as `cuda.isAvailable()` (the name before the `cuda` namespace existed). */
export function cudaAvailable(): boolean {
  return native.cudaDeviceCount() > 0;
}

/** Same as `cuda.deviceCount()`. */
export function cudaDeviceCount(): number {
  return native.cudaDeviceCount();
}

/** Tensors whose native memory is still held by a JS handle: the leak detector of tests. */
export function liveTensors(): number {
  return native.liveTensors();
}

/** Native memory figures, in bytes. */
export interface MemoryStats {
  /** Held by libtorch's CPU allocator now. */
  nativeBytes: number;
  /** Held at the peak since the last `resetPeakMemory()`. */
  peakNativeBytes: number;
  /**
   * Reported to V8 as external memory: the storage of tensors no scope will free (made at top level,
   * returned out of the outermost scope, or kept), whose lifetime is the user's or, failing that, the GC's.
   */
  gcOwnedBytes: number;
}

/** Bytes held by libtorch's CPU allocator, and what V8 was told of them. */
export function memoryStats(): MemoryStats {
  return native.memoryStats();
}

export function resetPeakMemory(): void {
  native.resetPeakMemory();
}

/**
 * Returns freed memory to the operating system (glibc's malloc_trim); true if any was returned. On import, the
 * allocator is set to keep freed memory for reuse, because handing it back made every training step page-fault
 * its activations in again (measured ~10% of a YOLOv8n step); call this after a training or a large batch when the
 * process goes on with smaller work. `YOLOTS_SYSTEM_MALLOC=1` keeps glibc's default policy instead.
 */
export function releaseMemory(): boolean {
  return native.releaseMemory();
}

/** libtorch version and build configuration (BLAS, oneDNN, OpenMP…), as `yolo checks` prints. */
export function buildInfo(): { version: string; config: string; parallelInfo: string; mkldnn: boolean; openmp: boolean } {
  return native.buildInfo();
}

// libtorch picks a single thread on small VMs; use every core unless the user said otherwise.
if (process.env.OMP_NUM_THREADS === undefined) native.setNumThreads(availableParallelism());
