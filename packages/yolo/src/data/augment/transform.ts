import type { RgbImage } from '../images.js';
import type { Instances } from '../instances.js';
import type { Random } from '../random.js';

/**
 * One image with its labels on its way through the augmentation pipeline (Ultralytics' labels dict).
 * Transforms may replace `img` and `instances` and must keep `cls` aligned with the boxes.
 */
export interface Sample {
  /** RGB HWC pixels; `img.height`/`img.width` are the current dims. */
  img: RgbImage;
  /** One class id per box. */
  cls: Float32Array;
  instances: Instances;
  imFile: string;
  /** [h, w] of the file as decoded (EXIF applied). */
  oriShape: [number, number];
  /** [h, w] after the latest resize/letterbox/warp. */
  resizedShape: [number, number];
  /** Resize ratio [rh, rw] from load_image; LetterBox adds its padding, RandomPerspective drops both. */
  ratio?: [number, number];
  /** [left, top] LetterBox padding, kept for rescaling predictions to the original image (val). */
  pad?: [number, number];
  /** Per-batch target [h, w] under rect batching; LetterBox consumes it. */
  rectShape?: [number, number];
  /** Set by Mosaic: the (negative) border RandomPerspective crops back to imgsz. */
  mosaicBorder?: [number, number];
}

/**
 * One augmentation step. Implement it to add your own step to a dataset (see `YOLODataset.useTransform`);
 * draw randomness only from `rng` so results stay reproducible.
 *
 * @example
 * class Invert implements Transform {
 *   apply(s: Sample): Sample {
 *     for (let i = 0; i < s.img.data.length; i++) s.img.data[i] = 255 - s.img.data[i]!;
 *     return s;
 *   }
 * }
 */
export interface Transform {
  apply(sample: Sample, rng: Random): Sample | Promise<Sample>;
}

/** Where mix transforms (Mosaic, MixUp) fetch extra images: the dataset. */
export interface ImageSource {
  readonly length: number;
  getImageAndLabel(index: number): Promise<Sample>;
}

/**
 * Runs transforms in order; itself a Transform, so pipelines nest.
 *
 * @example
 * const pipeline = new Compose([new LetterBox([640, 640]), new RandomFlip('horizontal', 0.5)]);
 * const out = await pipeline.apply(sample, rng);
 */
export class Compose implements Transform {
  constructor(public readonly transforms: Transform[] = []) {}

  async apply(sample: Sample, rng: Random): Promise<Sample> {
    let s = sample;
    for (const t of this.transforms) s = await t.apply(s, rng);
    return s;
  }

  append(t: Transform): this {
    this.transforms.push(t);
    return this;
  }

  insert(index: number, t: Transform): this {
    this.transforms.splice(index, 0, t);
    return this;
  }
}
