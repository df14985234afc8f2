import { concatFloat32, Instances } from '../instances.js';
import type { Random } from '../random.js';
import type { ImageSource, Sample, Transform } from './transform.js';

/**
 * Ultralytics' MixUp: with probability `p`, blends the sample with another dataset image run through the same
 * pre-pipeline (Mosaic + RandomPerspective), ratio ~ Beta(32, 32), and concatenates their labels.
 *
 * @example
 * const mixup = new MixUp(dataset, prePipeline, 0.1);
 */
export class MixUp implements Transform {
  constructor(
    private readonly dataset: ImageSource,
    private readonly preTransform: Transform | null,
    private readonly p = 0.0,
  ) {}

  async apply(sample: Sample, rng: Random): Promise<Sample> {
    if (rng.random() > this.p) return sample;
    let other = await this.dataset.getImageAndLabel(rng.randint(0, this.dataset.length - 1));
    if (this.preTransform) other = await this.preTransform.apply(other, rng);
    const a = sample.img;
    const b = other.img;
    if (a.height !== b.height || a.width !== b.width) {
      throw new Error(`MixUp: image sizes differ (${a.height}x${a.width} vs ${b.height}x${b.width})`);
    }
    const r = rng.beta(32, 32);
    const out = new Uint8Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = a.data[i]! * r + b.data[i]! * (1 - r);
    sample.img = { data: out, height: a.height, width: a.width };
    other.instances.convertBbox(sample.instances.format);
    if (other.instances.normalized !== sample.instances.normalized) {
      if (sample.instances.normalized) other.instances.normalize(b.width, b.height);
      else other.instances.denormalize(b.width, b.height);
    }
    sample.instances = Instances.concatenate([sample.instances, other.instances]);
    sample.cls = concatFloat32([sample.cls, other.cls]);
    return sample;
  }
}
