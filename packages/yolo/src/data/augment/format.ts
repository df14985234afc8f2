import type { Instances } from '../instances.js';
import { polygons2masks, polygons2masksOverlap } from '../polygons.js';
import type { Random } from '../random.js';
import type { Sample } from './transform.js';

/** Mask output of Format for segment datasets (Ultralytics' return_mask, mask_ratio, mask_overlap). */
export interface MaskOptions {
  /** Masks at 1/ratio of the image size (mask_ratio, 4). */
  ratio: number;
  /** One index mask per image (overlap_mask, true) rather than one 0/1 mask per label. */
  overlap: boolean;
}

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
  /**
   * Segment datasets: masks at 1/ratio of the image size, row-major — one index mask (value k = label k, counted
   * from 1, labels sorted by mask area, largest first) with overlap, else one 0/1 mask per label. Int32 only for an
   * overlap mask of more than 255 labels.
   */
  masks?: Uint8Array | Int32Array;
  /** [count, h, w] of `masks`: count is 1 with overlap, the label count without. */
  masksShape?: [number, number, number];
}

/**
 * The last step (Ultralytics' Format): boxes to normalised xywh, HWC to CHW, channel order RGB (BGR with
 * probability `bgr`).
 *
 * @example
 * const out = new Format(0).apply(sample, rng);
 */
export class Format {
  constructor(
    private readonly bgr = 0.0,
    /** Build masks from the polygons (segment datasets); null for none. */
    private readonly masks: MaskOptions | null = null,
  ) {}

  apply(sample: Sample, rng: Random): FormattedSample {
    const { img } = sample;
    let inst = sample.instances;
    let cls = sample.cls;
    inst.convertBbox('xywh');
    inst.denormalize(img.width, img.height);
    let masks: { data: Uint8Array | Int32Array; shape: [number, number, number] } | null = null;
    if (this.masks) ({ masks, inst, cls } = formatSegments(inst, cls, img.height, img.width, this.masks));
    inst.normalize(img.width, img.height);
    const swap = rng.uniform(0, 1) <= this.bgr;
    const plane = img.height * img.width;
    const chw = new Uint8Array(plane * 3);
    const src = img.data;
    const c0 = swap ? 2 * plane : 0;
    const c2 = swap ? 0 : 2 * plane;
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      chw[c0 + p] = src[i]!;
      chw[plane + p] = src[i + 1]!;
      chw[c2 + p] = src[i + 2]!;
    }
    const out: FormattedSample = {
      img: chw,
      height: img.height,
      width: img.width,
      cls,
      bboxes: inst.bboxes,
      imFile: sample.imFile,
      oriShape: sample.oriShape,
      resizedShape: sample.resizedShape,
    };
    if (sample.ratio && sample.pad) out.ratioPad = [sample.ratio, sample.pad];
    if (masks) {
      out.masks = masks.data;
      out.masksShape = masks.shape;
    }
    return out;
  }
}

/**
 * Ultralytics' Format._format_segments: masks of the (pixel) polygons; with overlap the labels are reordered as the
 * index mask numbers them. No labels: one empty mask with overlap, none without.
 */
function formatSegments(
  inst: Instances,
  cls: Float32Array,
  h: number,
  w: number,
  { ratio, overlap }: MaskOptions,
): { masks: { data: Uint8Array | Int32Array; shape: [number, number, number] }; inst: Instances; cls: Float32Array } {
  const [mh, mw] = [Math.floor(h / ratio), Math.floor(w / ratio)];
  const n = inst.length;
  if (n === 0) return { masks: { data: new Uint8Array(overlap ? mh * mw : 0), shape: [overlap ? 1 : 0, mh, mw] }, inst, cls };
  if (!inst.hasSegments) throw new Error('Format: segment masks need polygon labels, these labels are boxes only');
  const polygons = Array.from({ length: n }, (_, i) => inst.segment(i));
  if (!overlap) return { masks: { data: polygons2masks([h, w], polygons, ratio), shape: [n, mh, mw] }, inst, cls };
  const { mask, order } = polygons2masksOverlap([h, w], polygons, ratio);
  return {
    masks: { data: mask, shape: [1, mh, mw] },
    inst: inst.select(order),
    cls: Float32Array.from(order, (k) => cls[k]!),
  };
}
