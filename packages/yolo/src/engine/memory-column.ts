// The training table's memory column. Ultralytics shows `GPU_mem`: torch.cuda.memory_reserved() on CUDA, and `0G` on
// the CPU, where it measures nothing. yolots shows the same on CUDA; on the CPU it names what it measures instead:
// `CPU_mem`, the process's resident memory (RSS: libtorch's tensors and caches, V8's heap, loader threads).
import * as torch from '@yolots/torch';
import { formatG } from '../utils/results-csv.js';

/** The column's header and how to read its value now. */
export interface MemoryColumn {
  header: 'GPU_mem' | 'CPU_mem';
  /** The value in gigabytes (1e9 bytes) as Ultralytics formats it (`%.3g` and `G`); `-` when it cannot be read. */
  read(): string;
}

/** Where the readings come from: libtorch's CUDA allocator and the process (replaced in tests). */
export interface MemoryProbes {
  cudaReserved(index: number): number | undefined;
  rss(): number;
}

const SYSTEM_PROBES: MemoryProbes = {
  cudaReserved: (index) => torch.cuda.memoryReserved(index),
  rss: () => process.memoryUsage.rss(),
};

/** Bytes as the table shows them: gigabytes, 3 significant digits. */
export function formatGigabytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${formatG(bytes / 1e9, 3)}G`;
}

/**
 * The memory column for a trainer on `device` ('cpu', 'cuda:0', …).
 * @example memoryColumn('cuda:0').read() // '2.31G': memory reserved by libtorch's CUDA allocator on device 0
 */
export function memoryColumn(device: string, probes: MemoryProbes = SYSTEM_PROBES): MemoryColumn {
  const cuda = /^cuda(?::(\d+))?$/.exec(device);
  if (!cuda) return { header: 'CPU_mem', read: () => formatGigabytes(probes.rss()) };
  const index = Number(cuda[1] ?? 0);
  return { header: 'GPU_mem', read: () => formatGigabytes(probes.cudaReserved(index)) };
}
