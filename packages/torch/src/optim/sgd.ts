// SGD with momentum, dampening, Nesterov and L2 weight decay: PyTorch's update rule exactly.
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weight_decay?: number;
  nesterov?: boolean;
}

/**
 * @example const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: Tensor[] | ParamGroupInput[], options: SGDOptions) {
    const defaults = { momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, ...options };
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires momentum > 0 and zero dampening');
    }
    super(params, defaults);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void {
    const { lr, momentum, dampening, weight_decay: wd, nesterov } = group as unknown as Required<SGDOptions>;
    let d = wd !== 0 ? grad.add(p, wd) : grad;
    if (momentum !== 0) {
      let buf = state.get('momentum_buffer') as Tensor | undefined;
      if (buf === undefined) {
        buf = noGrad(() => d.clone()).keep();
        state.set('momentum_buffer', buf);
      } else {
        buf.mul_(momentum).add_(d, 1 - dampening);
      }
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.add_(d, -lr);
  }
}
