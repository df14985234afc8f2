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

export function cudaAvailable(): boolean {
  return native.cudaDeviceCount() > 0;
}

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

/** libtorch version and build configuration (BLAS, oneDNN, OpenMP…), as `yolo checks` prints. */
export function buildInfo(): { version: string; config: string; parallelInfo: string; mkldnn: boolean; openmp: boolean } {
  return native.buildInfo();
}

// libtorch picks a single thread on small VMs; use every core unless the user said otherwise.
if (process.env.OMP_NUM_THREADS === undefined) native.setNumThreads(availableParallelism());
