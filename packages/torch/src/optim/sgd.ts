// SGD with momentum, dampening, Nesterov and L2 weight decay: PyTorch's update rule exactly (its foreach form).
import { foreachAdd, foreachAdd_, foreachMul_ } from '../foreach.js';
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

  protected updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void {
    const { lr, momentum, dampening, weight_decay: wd, nesterov } = group as unknown as Required<SGDOptions>;
    let d = wd !== 0 ? foreachAdd(grads, params, wd) : grads;
    if (momentum !== 0) {
      // A new buffer starts as the first step's direction; existing ones decay and take the new one in.
      const bufs: Tensor[] = [];
      const running: Tensor[] = [];
      const runningD: Tensor[] = [];
      d.forEach((di, i) => {
        const state = states[i] as ParamState;
        let buf = state.get('momentum_buffer') as Tensor | undefined;
        if (buf === undefined) {
          buf = di.clone().keep();
          state.set('momentum_buffer', buf);
        } else {
          running.push(buf);
          runningD.push(di);
        }
        bufs.push(buf);
      });
      foreachMul_(running, momentum);
      foreachAdd_(running, runningD, 1 - dampening);
      d = nesterov ? foreachAdd(d, bufs, momentum) : bufs;
    }
    foreachAdd_(params, d, -lr);
  }
}
