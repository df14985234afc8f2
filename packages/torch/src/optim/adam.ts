// Adam and AdamW (decoupled weight decay): PyTorch's single-tensor update rule.
import { zerosLike } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, stateTensor } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
}

function adamStep(p: Tensor, grad: Tensor, state: ParamState, group: Required<AdamOptions>, decoupled: boolean): void {
  const { lr, betas, eps, weight_decay: wd } = group;
  const [beta1, beta2] = betas;
  const step = ((state.get('step') as number | undefined) ?? 0) + 1;
  state.set('step', step);
  const expAvg = stateTensor(state, 'exp_avg', () => zerosLike(p));
  const expAvgSq = stateTensor(state, 'exp_avg_sq', () => zerosLike(p));
  let g = grad;
  if (wd !== 0) {
    if (decoupled) p.mul_(1 - lr * wd);
    else g = grad.add(p, wd);
  }
  expAvg.mul_(beta1).add_(g, 1 - beta1);
  expAvgSq.mul_(beta2).addcmul_(g, g, 1 - beta2);
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
  const denom = expAvgSq.sqrt().div_(biasCorrection2Sqrt).add_(eps);
  p.addcdiv_(expAvg, denom, -lr / biasCorrection1);
}

/** @example const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] }); */
export class Adam extends Optimizer<Required<AdamOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, ...options });
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void {
    adamStep(p, grad, state, group as unknown as Required<AdamOptions>, false);
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Optimizer<Required<AdamOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, ...options });
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void {
    adamStep(p, grad, state, group as unknown as Required<AdamOptions>, true);
  }
}
