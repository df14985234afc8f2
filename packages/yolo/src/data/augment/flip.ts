import type { Random } from '../random.js';
import { flipHorizontal, flipVertical } from './pixels.js';
import type { Sample, Transform } from './transform.js';

/**
 * Ultralytics' RandomFlip: mirrors the image and its boxes with probability `p`, vertically or horizontally.
 *
 * @example
 * new RandomFlip('horizontal', 0.5).apply(sample, rng);
 */
export class RandomFlip implements Transform {
  constructor(
    private readonly direction: 'horizontal' | 'vertical' = 'horizontal',
    private readonly p = 0.5,
  ) {
    if (p < 0 || p > 1) throw new Error(`RandomFlip: probability should be in [0, 1], got ${p}`);
  }

  apply(sample: Sample, rng: Random): Sample {
    const inst = sample.instances;
    inst.convertBbox('xywh');
    if (rng.random() >= this.p) return sample;
    const w = inst.normalized ? 1 : sample.img.width;
    const h = inst.normalized ? 1 : sample.img.height;
    if (this.direction === 'vertical') {
      flipVertical(sample.img);
      inst.flipud(h);
    } else {
      flipHorizontal(sample.img);
      inst.fliplr(w);
    }
    return sample;
  }
}
