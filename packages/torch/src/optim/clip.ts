// Gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
import { noGrad } from '../autograd.js';
import { stack } from '../ops.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/**
 * Scales all gradients so that their joint L2 norm is at most `maxNorm`; returns the norm before clipping.
 * @example const norm = clipGradNorm(model.parameters(), 10.0);
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  return noGrad(() =>
    tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      const total = stack(grads.map((g) => g.norm(normType))).norm(normType);
      const totalNorm = total.item();
      const coef = maxNorm / (totalNorm + 1e-6);
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return totalNorm;
    }),
  );
}
