// Gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
import { noGrad } from '../autograd.js';
import { scalarTensor } from '../creation.js';
import { foreachMul_, foreachNorm } from '../foreach.js';
import { stack } from '../ops.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/**
 * Scales all gradients so that their joint norm is at most `maxNorm`; returns the norm before clipping as a 0-d
 * tensor: PyTorch's clip_grad_norm_. The gradients are multiplied by min(1, maxNorm / (norm + 1e-6)) computed in
 * float32 as PyTorch does; on CUDA always (no host sync), on CPU only when that is below 1.
 * @example const norm = clipGradNorm_(model.parameters(), 10.0); // a Tensor
 */
export function clipGradNorm_(params: Tensor[], maxNorm: number, normType = 2): Tensor {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return scalarTensor(0);
    const total = tidy(() => stack(foreachNorm(grads, normType)).norm(normType));
    tidy(() => {
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clampMax(1);
      // On CPU reading the coefficient costs no sync, and skipping a multiply by exactly 1 changes nothing.
      if (total.device === 'cpu' && coef.item() >= 1) return;
      foreachMul_(
        grads,
        grads.map(() => coef),
      );
    });
    return total;
  });
}

/**
 * As `clipGradNorm_`, returning the norm as a number (one read of a single value).
 * @example const norm = clipGradNorm(model.parameters(), 10.0);
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  return tidy(() => clipGradNorm_(params, maxNorm, normType).item());
}
