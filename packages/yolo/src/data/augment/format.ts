import type { Random } from '../random.js';
import type { Sample } from './transform.js';

/** A sample ready for collation: CHW pixels and normalised xywh boxes. */
export interface FormattedSample {
  /** 3×H×W uint8, RGB unless the `bgr` probability fired. */
  img: Uint8Array;
  height: number;
  width: number;
  cls: Float32Array;
  /** n*4 normalised (cx, cy, w, h). */
  bboxes: Float32Array;
  imFile: string;
  oriShape: [number, number];
  resizedShape: [number, number];
  /** [[rh, rw], [padw, padh]] for letterboxed (validation) samples. */
  ratioPad?: [[number, number], [number, number]];
}

/**
 * The last step (Ultralytics' Format): boxes to normalised xywh, HWC to CHW, channel order RGB (BGR with
 * probability `bgr`).
 *
 * @example
 * const out = new Format(0).apply(sample, rng);
 */
export class Format {
  constructor(private readonly bgr = 0.0) {}

  apply(sample: Sample, rng: Random): FormattedSample {
    const { img } = sample;
    const inst = sample.instances;
    inst.convertBbox('xywh');
    inst.denormalize(img.width, img.height);
    inst.normalize(img.width, img.height);
    const swap = rng.uniform(0, 1) <= this.bgr;
    const plane = img.height * img.width;
    const chw = new Uint8Array(plane * 3);
    const src = img.data;
    const c0 = swap ? 2 * plane : 0;
    const c2 = swap ? 0 : 2 * plane;
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      chw[c0 + p] = src[i] as number;
      chw[plane + p] = src[i + 1] as number;
      chw[c2 + p] = src[i + 2] as number;
    }
    const out: FormattedSample = {
      img: chw,
      height: img.height,
      width: img.width,
      cls: sample.cls,
      bboxes: inst.bboxes,
      imFile: sample.imFile,
      oriShape: sample.oriShape,
      resizedShape: sample.resizedShape,
    };
    if (sample.ratio && sample.pad) out.ratioPad = [sample.ratio, sample.pad];
    return out;
  }
}
