// The `amp` argument: which mixed precision a training runs, decided once from the device and the CPU.
// CUDA: float16 autocast with loss scaling (GradScaler), as Ultralytics. CPU: bfloat16 autocast where the CPU has
// AMX (bf16 tiles); with AVX512-BF16 alone, bf16 training measured slower than float32 (Zen 4, libtorch 1.13's
// oneDNN), so float32 is kept there. YOLOTS_CPU_AMP=bf16 or =off overrides the choice on CPU.
// Only the forward runs in the region: the loss (and its assigner), BatchNorm statistics, the optimizer, the EMA and
// checkpoints stay float32, since autocast never changes the float32 weights.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

export type AmpMode = 'off' | 'bf16' | 'fp16';

export interface AmpChoice {
  mode: AmpMode;
  /** One line for the log: what runs and why. */
  reason: string;
}

/**
 * What `amp` means on `device`: the CPU's bf16 features and YOLOTS_CPU_AMP are parameters so the rule can be tested
 * on any machine.
 */
export function resolveAmp(
  amp: boolean,
  device: string,
  cpu: torch.amp.CpuBf16Support = torch.amp.cpuBf16Support(),
  override: string | undefined = process.env.YOLOTS_CPU_AMP,
): AmpChoice {
  if (!amp) return { mode: 'off', reason: 'amp=False: training in float32' };
  if (device.startsWith('cuda')) return { mode: 'fp16', reason: 'float16 autocast with gradient scaling (CUDA)' };
  if (override !== undefined && override !== '') {
    if (override === 'off') return { mode: 'off', reason: 'YOLOTS_CPU_AMP=off: training in float32 on CPU' };
    if (override !== 'bf16') throw new Error(`YOLOTS_CPU_AMP must be 'bf16' or 'off', got '${override}'`);
    const slow = cpu.amxBf16 || cpu.avx512Bf16 ? '' : ' (this CPU has no bf16 instructions: expect it to be slow)';
    return { mode: 'bf16', reason: `YOLOTS_CPU_AMP=bf16: bfloat16 autocast on CPU${slow}` };
  }
  if (cpu.amxBf16) return { mode: 'bf16', reason: 'bfloat16 autocast on CPU (AMX-BF16)' };
  if (cpu.avx512Bf16)
    return {
      mode: 'off',
      reason:
        'float32 on CPU: this CPU has AVX512-BF16 but no AMX, where bf16 training is slower than float32 (YOLOTS_CPU_AMP=bf16 forces it)',
    };
  return { mode: 'off', reason: 'float32 on CPU: this CPU has no bfloat16 instructions (AVX512-BF16 / AMX)' };
}

/** Runs `fn` (the forward) under the autocast of `mode`; plain when off. */
export function withAutocast<T>(mode: AmpMode, fn: () => T): T {
  if (mode === 'bf16') return torch.autocast('cpu', fn, { dtype: 'bfloat16' });
  if (mode === 'fp16') return torch.autocast('cuda', fn, { dtype: 'float16' });
  return fn();
}

/**
 * The same structure (tensors inside arrays) with bfloat16 / float16 tensors cast to float32: what the loss reads
 * after an autocast forward, so the loss and the assigner compute in float32. Float32 tensors pass as they are.
 */
export function toFloat32<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => toFloat32(v)) as T;
  if (value instanceof torch.Tensor) {
    const t = value as Tensor;
    return (t.dtype === 'bfloat16' || t.dtype === 'float16' ? t.float() : t) as T;
  }
  return value;
}

/**
 * What `half=True` means for CPU inference (val, predict): bfloat16 autocast where the CPU has bf16 instructions
 * (AVX512-BF16 or AMX), else null — the caller keeps float32 and says so. CUDA keeps Ultralytics' float16 weights.
 */
export function cpuHalfInference(cpu: torch.amp.CpuBf16Support = torch.amp.cpuBf16Support()): 'bf16' | null {
  return cpu.amxBf16 || cpu.avx512Bf16 ? 'bf16' : null;
}

/** `fn` (a forward) under bf16 autocast with its outputs cast back to float32 for postprocessing; plain when off. */
export function bf16Inference<T>(enabled: boolean, fn: () => T): T {
  return enabled ? toFloat32(torch.autocast('cpu', fn, { dtype: 'bfloat16' })) : fn();
}
