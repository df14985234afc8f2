// What the CPU offers bfloat16 arithmetic: AMX tiles (Sapphire Rapids and later) and AVX512-BF16 (Cooper Lake,
// Zen 4), read from the kernel's CPU flags. oneDNN, which runs libtorch's bf16 convolutions, picks its kernels
// from the same features.
import { readFileSync } from 'node:fs';

export interface CpuBf16Support {
  /** AMX with bf16 tiles: bf16 matrix math several times float32's. */
  amxBf16: boolean;
  /** AVX512-BF16 dot products: bf16 that is at best on par with float32 for convolutions (measured on Zen 4). */
  avx512Bf16: boolean;
}

let cached: CpuBf16Support | undefined;

/** The flags of the first processor in `cpuinfo` text (Linux's /proc/cpuinfo format). */
export function parseCpuFlags(cpuinfo: string): Set<string> {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  return new Set((line?.split(':')[1] ?? '').trim().split(/\s+/).filter(Boolean));
}

/** bf16 features of this CPU; all false where /proc/cpuinfo cannot be read (macOS, Windows). */
export function cpuBf16Support(): CpuBf16Support {
  if (cached === undefined) {
    let flags = new Set<string>();
    try {
      flags = parseCpuFlags(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      // not Linux: no feature is claimed
    }
    cached = { amxBf16: flags.has('amx_bf16'), avx512Bf16: flags.has('avx512_bf16') };
  }
  return cached;
}
