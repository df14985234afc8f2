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
  /**
   * What freed tensor memory becomes (`YOLOTS_MALLOC`, docs/performance.md "Memory"): 'pool' (default: large tensors
   * from a pool that keeps their memory for the next step, everything else glibc's defaults), 'heap' (glibc keeps
   * every freed byte of every thread) or 'system' (glibc's defaults, as PyTorch).
   */
  allocator: 'pool' | 'heap' | 'system';
  /** The pool's high-water mark: its blocks in use and free ones kept for reuse (0 outside 'pool'). */
  poolBytes: number;
  /** Free bytes kept in the pool (resident until `releaseMemory()`, unless never touched). */
  poolFreeBytes: number;
}

/** Bytes held by libtorch's CPU allocator, and what V8 was told of them. */
export function memoryStats(): MemoryStats {
  return native.memoryStats();
}

export function resetPeakMemory(): void {
  native.resetPeakMemory();
}

/**
 * Returns freed memory to the operating system (the tensor pool's free blocks, and glibc's malloc_trim); true if any
 * was returned. Freed tensor memory is kept for reuse, because handing it back made every training step page-fault
 * its activations in again (measured ~10% of a YOLOv8n step); call this after a training or a large batch when the
 * process goes on with smaller work. `YOLOTS_MALLOC` chooses the policy (`memoryStats().allocator`).
 */
export function releaseMemory(): boolean {
  return native.releaseMemory();
}

/** One malloc arena: the memory it took from the OS and how much of it is free (held for reuse). */
export interface MallocArena {
  systemBytes: number;
  freeBytes: number;
}

/** The C allocator's view of the whole process: libtorch's tensors, but also V8's array buffers, libvips, … */
export interface MallocStats {
  /** Arenas (heaps), the main thread's first; other threads that allocate get their own. */
  arenas: MallocArena[];
  /** Sum over the arenas. */
  systemBytes: number;
  freeBytes: number;
  /** Blocks mapped one by one (above the mmap threshold), returned to the OS when freed. */
  mmapBytes: number;
}

/**
 * glibc malloc's statistics (its `malloc_info`), for finding where resident memory goes: RSS well above
 * `memoryStats().nativeBytes` is free memory held in arenas, or other libraries' allocations. null on other C
 * libraries. Walks every arena: call it between steps, not in a hot loop.
 *
 * @example
 * const stats = torch.mallocStats();
 * if (stats) console.log(`${stats.arenas.length} arenas, ${(stats.freeBytes / 2 ** 20).toFixed(0)} MiB free in them`);
 */
export function mallocStats(): MallocStats | null {
  const xml = native.mallocInfo();
  if (xml === null) return null;
  const num = (block: string, pattern: RegExp): number => Number(pattern.exec(block)?.[1] ?? 0);
  const free = (block: string): number =>
    num(block, /<total type="fast" count="\d+" size="(\d+)"/) + num(block, /<total type="rest" count="\d+" size="(\d+)"/);
  const arenas: MallocArena[] = [];
  for (const [, block] of xml.matchAll(/<heap nr="\d+">([\s\S]*?)<\/heap>/g)) {
    arenas.push({ systemBytes: num(block ?? '', /<system type="current" size="(\d+)"/), freeBytes: free(block ?? '') });
  }
  const totals = xml.slice(xml.lastIndexOf('</heap>'));
  return {
    arenas,
    systemBytes: arenas.reduce((s, a) => s + a.systemBytes, 0),
    freeBytes: arenas.reduce((s, a) => s + a.freeBytes, 0),
    mmapBytes: num(totals, /<total type="mmap" count="\d+" size="(\d+)"/),
  };
}

/** libtorch version and build configuration (BLAS, oneDNN, OpenMP…), as `yolo checks` prints. */
export function buildInfo(): { version: string; config: string; parallelInfo: string; mkldnn: boolean; openmp: boolean } {
  return native.buildInfo();
}

// libtorch picks a single thread on small VMs; use every core unless the user said otherwise.
if (process.env.OMP_NUM_THREADS === undefined) native.setNumThreads(availableParallelism());
