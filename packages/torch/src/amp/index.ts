// torch.amp: automatic mixed precision (autocast regions, loss scaling, the CPU's bf16 features).
export { type AutocastDevice, type AutocastOptions, autocast, autocastState } from './autocast.js';
export { type CpuBf16Support, cpuBf16Support, parseCpuFlags } from './cpu-features.js';
export { GradScaler, type GradScalerOptions, type ScalableOptimizer } from './grad-scaler.js';
