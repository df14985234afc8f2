// Weight initialisations with PyTorch's formulas (nn.init), applied in place without tracking gradients.
import { noGrad } from '../autograd.js';
import type { Tensor } from '../tensor.js';

/** fan_in and fan_out of a weight as PyTorch computes them (dims 0 and 1 times the receptive field). */
export function calculateFans(weight: Tensor): { fanIn: number; fanOut: number } {
  const shape = weight.shape;
  if (shape.length < 2) throw new RangeError('fan in/out needs a weight with at least 2 dimensions');
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export function uniform_(t: Tensor, low = 0, high = 1): Tensor {
  return noGrad(() => t.uniform_(low, high));
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.normal_(mean, std));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

export function zeros_(t: Tensor): Tensor {
  return noGrad(() => t.zero_());
}

export function ones_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(1));
}

/** kaiming_uniform_ with leaky_relu gain for slope `a` (PyTorch's default for Conv/Linear is a=√5). */
export function kaimingUniform_(t: Tensor, a = 0, mode: 'fan_in' | 'fan_out' = 'fan_in'): Tensor {
  const fans = calculateFans(t);
  const fan = mode === 'fan_in' ? fans.fanIn : fans.fanOut;
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound);
}
