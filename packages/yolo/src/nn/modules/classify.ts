// The classification head (Ultralytics' nn/modules/head.py Classify): a 1×1 Conv to 1280 channels, global average
// pooling, dropout and a Linear layer to the class logits.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Conv, type Pair } from './conv.js';

const { nn } = torch;

/** Channels of the Conv before pooling, whatever the model scale (EfficientNet-B0's width, as Ultralytics). */
export const CLASSIFY_HIDDEN = 1280;

/**
 * Classify(c1, c2): feature maps (B, c1, H, W) → class logits (B, c2) in training mode, their softmax in eval mode.
 * A list of maps is concatenated along the channels first.
 *
 * @example
 * const head = new Classify(256, 10);
 * head.eval();
 * head.call(features); // (B, 10) probabilities
 */
export class Classify extends nn.Module<[Tensor | Tensor[]], Tensor> {
  conv: Conv;
  pool: torch.nn.AdaptiveAvgPool2d;
  drop: torch.nn.Dropout;
  linear: torch.nn.Linear;

  constructor(c1: number, c2: number, k: Pair = 1, s: Pair = 1, p: Pair | null = null, g = 1) {
    super();
    this.conv = this.registerModule('conv', new Conv(c1, CLASSIFY_HIDDEN, k, s, p, g));
    this.pool = this.registerModule('pool', new nn.AdaptiveAvgPool2d(1));
    this.drop = this.registerModule('drop', new nn.Dropout(0));
    this.linear = this.registerModule('linear', new nn.Linear(CLASSIFY_HIDDEN, c2));
  }

  forward(x: Tensor | Tensor[]): Tensor {
    const input = Array.isArray(x) ? torch.cat(x, 1) : x;
    const logits = this.linear.call(this.drop.call(this.pool.call(this.conv.call(input)).flatten(1)));
    return this.training ? logits : logits.softmax(1);
  }
}
