// Adam and AdamW (decoupled weight decay): PyTorch's update rule, in its foreach form (same arithmetic per tensor).
import { zerosLike } from '../creation.js';
import { foreachAdd, foreachAdd_, foreachAddcdiv_, foreachAddcmul_, foreachDiv_, foreachMul_, foreachSqrt } from '../foreach.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, stateTensor } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
}

/** One Adam(W) step over a group, as PyTorch's foreach Adam: every formula step is one call over all tensors. */
function adamStep(params: Tensor[], grads: Tensor[], states: ParamState[], group: Required<AdamOptions>, decoupled: boolean): void {
  const { lr, betas, eps, weight_decay: wd } = group;
  const [beta1, beta2] = betas;
  const steps = states.map((state) => {
    const step = ((state.get('step') as number | undefined) ?? 0) + 1;
    state.set('step', step);
    return step;
  });
  const expAvgs = states.map((state, i) => stateTensor(state, 'exp_avg', () => zerosLike(params[i] as Tensor)));
  const expAvgSqs = states.map((state, i) => stateTensor(state, 'exp_avg_sq', () => zerosLike(params[i] as Tensor)));
  let g = grads;
  if (wd !== 0) {
    if (decoupled) foreachMul_(params, 1 - lr * wd);
    else g = foreachAdd(grads, params, wd);
  }
  foreachMul_(expAvgs, beta1);
  foreachAdd_(expAvgs, g, 1 - beta1);
  foreachMul_(expAvgSqs, beta2);
  foreachAddcmul_(expAvgSqs, g, g, 1 - beta2);
  const denom = foreachSqrt(expAvgSqs);
  foreachDiv_(
    denom,
    steps.map((step) => Math.sqrt(1 - beta2 ** step)),
  );
  foreachAdd_(denom, eps);
  foreachAddcdiv_(
    params,
    expAvgs,
    denom,
    steps.map((step) => -lr / (1 - beta1 ** step)),
  );
}

/** @example const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] }); */
export class Adam extends Optimizer<Required<AdamOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, ...options });
  }

  protected updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void {
    adamStep(params, grads, states, group as unknown as Required<AdamOptions>, false);
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Optimizer<Required<AdamOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, ...options });
  }

  protected updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void {
    adamStep(params, grads, states, group as unknown as Required<AdamOptions>, true);
  }
}
