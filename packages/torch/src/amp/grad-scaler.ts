// GradScaler: loss scaling for float16 autocast (PyTorch's torch.cuda.amp.GradScaler), so that small gradients do
// not underflow float16. bfloat16 has float32's exponent range and needs none: on CPU the trainer does not scale.
// On CUDA the fused kernels of PyTorch do the unscale / inf check and the scale update without a host sync;
// elsewhere (the CPU tests of this logic) the same arithmetic is composed of ordinary ops.
import { noGrad } from '../autograd.js';
import { full, zeros } from '../creation.js';
import { stack } from '../ops.js';
import { tidy } from '../scope.js';
import { atenInPlace, type Tensor } from '../tensor.js';

export interface GradScalerOptions {
  /** Default 2^16. */
  initScale?: number;
  /** The scale is multiplied by this after `growthInterval` finite steps in a row (default 2). */
  growthFactor?: number;
  /** ... and by this after a step with an inf/NaN gradient, which is skipped (default 0.5). */
  backoffFactor?: number;
  /** Default 2000. */
  growthInterval?: number;
  /** false makes every method a pass-through (`scale(loss)` returns loss, `step` steps). Default true. */
  enabled?: boolean;
}

/** What `step` and `unscale_` need of an optimizer. */
export interface ScalableOptimizer {
  paramGroups: Array<{ params: Tensor[] }>;
  step(): void;
}

type Stage = 'unscaled' | 'stepped';

/**
 * @example
 * const scaler = new torch.amp.GradScaler({ enabled: device.startsWith('cuda') });
 * scaler.scale(loss).backward();
 * scaler.unscale_(optimizer); // before clipping
 * scaler.step(optimizer);     // skipped when a gradient is inf/NaN
 * scaler.update();
 */
export class GradScaler {
  readonly enabled: boolean;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  private readonly initScale: number;
  private scaleTensor: Tensor | null = null;
  private growthTracker: Tensor | null = null;
  /** Per optimizer since the last update(): how far it went, and its found-inf flag (1 element, float32). */
  private readonly perOptimizer = new Map<ScalableOptimizer, { stage: Stage; foundInf: Tensor }>();

  constructor(options: GradScalerOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.initScale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    if (!(this.growthFactor > 1)) throw new RangeError(`GradScaler: growthFactor must be > 1, got ${this.growthFactor}`);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1))
      throw new RangeError(`GradScaler: backoffFactor must be in (0, 1), got ${this.backoffFactor}`);
    if (!Number.isInteger(this.growthInterval) || this.growthInterval < 1)
      throw new RangeError(`GradScaler: growthInterval must be a positive integer, got ${this.growthInterval}`);
  }

  /** loss · scale (the scale lives on the loss's device from the first call on). */
  scale(loss: Tensor): Tensor {
    if (!this.enabled) return loss;
    return loss.mul(this.scaleOn(loss.device));
  }

  /** The current scale (1 when disabled). Reads the device value: a host sync on CUDA. */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleTensor === null ? this.initScale : this.scaleTensor.item();
  }

  /** Divides the optimizer's gradients by the scale in place and records whether any is inf/NaN. Once per step. */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this.enabled) return;
    const stage = this.perOptimizer.get(optimizer)?.stage;
    if (stage === 'unscaled') throw new Error('GradScaler: unscale_() was already called on this optimizer since the last update()');
    if (stage === 'stepped') throw new Error('GradScaler: unscale_() is being called after step(); call update() first');
    const scale = this.scaleTensor;
    if (scale === null) throw new Error('GradScaler: unscale_() before any scale(loss): there is nothing to unscale');
    const grads = optimizer.paramGroups.flatMap((g) => g.params.map((p) => p.grad)).filter((g): g is Tensor => g !== null);
    const foundInf = noGrad(() =>
      tidy(() => {
        const found = zeros([1], { device: scale.device });
        if (grads.length === 0) return found.keep();
        const invScale = scale.double().reciprocal().float();
        if (scale.device.startsWith('cuda')) {
          atenInPlace('_amp_foreach_non_finite_check_and_unscale_', [grads, found, invScale]);
        } else {
          // libtorch 1.13 has no CPU kernel for the fused op: any non-finite element sets the flag, then scale.
          found.copy_(
            stack(grads.map((g) => g.isfinite().all().logicalNot()))
              .any()
              .float()
              .reshape([1]),
          );
          for (const g of grads) g.mul_(invScale);
        }
        return found.keep();
      }),
    );
    this.perOptimizer.set(optimizer, { stage: 'unscaled', foundInf });
  }

  /** Unscales if not done yet, then steps the optimizer unless a gradient was inf/NaN. Returns whether it stepped. */
  step(optimizer: ScalableOptimizer): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (this.perOptimizer.get(optimizer)?.stage === 'stepped')
      throw new Error('GradScaler: step() was already called on this optimizer since the last update()');
    if (!this.perOptimizer.has(optimizer)) this.unscale_(optimizer);
    const record = this.perOptimizer.get(optimizer) as { stage: Stage; foundInf: Tensor };
    const skip = record.foundInf.item() !== 0;
    if (!skip) optimizer.step();
    record.stage = 'stepped';
    return !skip;
  }

  /**
   * Ends the step: halves (backoffFactor) the scale if any optimizer saw inf/NaN and resets the streak; otherwise
   * counts a finite step and grows the scale (growthFactor) after growthInterval of them in a row.
   */
  update(): void {
    if (!this.enabled) return;
    const scale = this.scaleTensor;
    const tracker = this.growthTracker;
    if (scale === null || tracker === null) return;
    const found = [...this.perOptimizer.values()].map((r) => r.foundInf);
    if (found.length === 0) throw new Error('GradScaler: update() without unscale_() or step() on any optimizer this step');
    noGrad(() =>
      tidy(() => {
        const foundInf = found.length === 1 ? (found[0] as Tensor) : stack(found).sum(0).clampMax(1);
        if (scale.device.startsWith('cuda')) {
          atenInPlace('_amp_update_scale_', [scale, tracker, foundInf, this.growthFactor, this.backoffFactor, this.growthInterval]);
          return;
        }
        const inf = foundInf.gt(0);
        const streak = tracker.add(1);
        const grow = streak.ge(this.growthInterval).logicalAnd(inf.logicalNot());
        const factor = inf
          .float()
          .mul(this.backoffFactor)
          .add(grow.float().mul(this.growthFactor))
          .add(inf.logicalOr(grow).logicalNot().float());
        scale.mul_(factor);
        tracker.copy_(streak.mul(inf.logicalOr(grow).logicalNot().int()));
      }),
    );
    for (const r of found) r.dispose();
    this.perOptimizer.clear();
  }

  /** Frees the scale, the growth streak and any pending found-inf flags. */
  dispose(): void {
    for (const r of this.perOptimizer.values()) r.foundInf.dispose();
    this.perOptimizer.clear();
    this.scaleTensor?.dispose();
    this.growthTracker?.dispose();
    this.scaleTensor = null;
    this.growthTracker = null;
  }

  private scaleOn(device: string): Tensor {
    if (this.scaleTensor === null) {
      this.scaleTensor = full([1], this.initScale, { device }).keep();
      this.growthTracker = zeros([1], { dtype: 'int32', device }).keep();
    }
    return this.scaleTensor;
  }
}
