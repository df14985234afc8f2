// RMSprop: PyTorch's update rule (non-centered and centered, with optional momentum).
import { zerosLike } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, stateTensor } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha?: number;
  eps?: number;
  weight_decay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop extends Optimizer<Required<RMSpropOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: RMSpropOptions) {
    super(params, { alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, ...options });
  }

  protected updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void {
    params.forEach((p, i) => rmspropStep(p, grads[i] as Tensor, states[i] as ParamState, group as unknown as Required<RMSpropOptions>));
  }
}

/** RMSprop one tensor at a time (no optimizer YOLO training uses by default walks it every step). */
function rmspropStep(p: Tensor, grad: Tensor, state: ParamState, options: Required<RMSpropOptions>): void {
  const { lr, alpha, eps, weight_decay: wd, momentum, centered } = options;
  state.set('step', ((state.get('step') as number | undefined) ?? 0) + 1);
  const g = wd !== 0 ? grad.add(p, wd) : grad;
  const squareAvg = stateTensor(state, 'square_avg', () => zerosLike(p));
  squareAvg.mul_(alpha).addcmul_(g, g, 1 - alpha);
  let avg: Tensor;
  if (centered) {
    const gradAvg = stateTensor(state, 'grad_avg', () => zerosLike(p));
    gradAvg.lerp_(g, 1 - alpha);
    avg = squareAvg.addcmul(gradAvg, gradAvg, -1).sqrt_().add_(eps);
  } else {
    avg = squareAvg.sqrt().add_(eps);
  }
  if (momentum > 0) {
    const buf = stateTensor(state, 'momentum_buffer', () => zerosLike(p));
    buf.mul_(momentum).addcdiv_(g, avg);
    p.add_(buf, -lr);
  } else {
    p.addcdiv_(g, avg, -lr);
  }
}
