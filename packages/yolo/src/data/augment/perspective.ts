import { Instances } from '../instances.js';
import type { Random } from '../random.js';
import { warpImage } from './pixels.js';
import type { Sample, Transform } from './transform.js';

export interface PerspectiveOptions {
  degrees?: number;
  translate?: number;
  scale?: number;
  shear?: number;
  perspective?: number;
  /** [h, w] border added on each side; Mosaic's border (in the sample) takes precedence. */
  border?: [number, number];
  /** Applied first when the sample did not come out of Mosaic (Ultralytics: LetterBox to imgsz). */
  preTransform?: Transform | null;
}

/**
 * Ultralytics' RandomPerspective: M = T·S·R·P·C (centre, perspective, rotation+scale, shear, translation), the
 * image warped with grey 114 borders to its size plus twice the border, boxes mapped through their four corners —
 * or, for polygon labels, each box made from its mapped polygon's points inside the image —, clipped, and kept only
 * if they pass `boxCandidates` against the scaled original (area ratio 0.01 with polygons, 0.1 without).
 *
 * @example
 * const rp = new RandomPerspective({ degrees: 10, translate: 0.1, scale: 0.5 });
 */
export class RandomPerspective implements Transform {
  private readonly degrees: number;
  private readonly translate: number;
  private readonly scale: number;
  private readonly shear: number;
  private readonly perspective: number;
  private readonly border: [number, number];
  private readonly preTransform: Transform | null;

  constructor(options: PerspectiveOptions = {}) {
    this.degrees = options.degrees ?? 0;
    this.translate = options.translate ?? 0.1;
    this.scale = options.scale ?? 0.5;
    this.shear = options.shear ?? 0;
    this.perspective = options.perspective ?? 0;
    this.border = options.border ?? [0, 0];
    this.preTransform = options.preTransform ?? null;
  }

  async apply(input: Sample, rng: Random): Promise<Sample> {
    const sample = this.preTransform && !input.mosaicBorder ? await this.preTransform.apply(input, rng) : input;
    sample.ratio = undefined;
    sample.pad = undefined;
    const { img } = sample;
    const instances = sample.instances;
    instances.convertBbox('xyxy');
    instances.denormalize(img.width, img.height);
    const border = sample.mosaicBorder ?? this.border;
    sample.mosaicBorder = undefined;
    const outW = img.width + border[1] * 2;
    const outH = img.height + border[0] * 2;
    const { M, s } = this.matrix(img.width, img.height, outW, outH, rng);
    const identity = M.every((v, i) => v === (i % 4 === 0 ? 1 : 0));
    if (border[0] !== 0 || border[1] !== 0 || !identity) sample.img = warpImage(img, M, outW, outH);
    const withSegments = instances.hasSegments;
    const moved = withSegments
      ? applySegments(instances, M, outW, outH)
      : new Instances(this.applyBboxes(instances.bboxes, M), 'xyxy', false);
    moved.clip(outW, outH);
    instances.scale(s, s, true);
    const keep = boxCandidates(instances.bboxes, moved.bboxes, 2, 100, withSegments ? 0.01 : 0.1);
    sample.instances = moved.select(keep);
    sample.cls = Float32Array.from(keep, (k) => sample.cls[k]!);
    sample.resizedShape = [sample.img.height, sample.img.width];
    return sample;
  }

  private matrix(w: number, h: number, outW: number, outH: number, rng: Random): { M: Float64Array; s: number } {
    const C = [1, 0, -w / 2, 0, 1, -h / 2, 0, 0, 1];
    const P = [1, 0, 0, 0, 1, 0, rng.uniform(-this.perspective, this.perspective), rng.uniform(-this.perspective, this.perspective), 1];
    const a = (rng.uniform(-this.degrees, this.degrees) * Math.PI) / 180;
    const s = rng.uniform(1 - this.scale, 1 + this.scale);
    // cv2.getRotationMatrix2D(center=(0, 0), angle=a, scale=s)
    const R = [s * Math.cos(a), s * Math.sin(a), 0, -s * Math.sin(a), s * Math.cos(a), 0, 0, 0, 1];
    const S = [
      1,
      Math.tan((rng.uniform(-this.shear, this.shear) * Math.PI) / 180),
      0,
      Math.tan((rng.uniform(-this.shear, this.shear) * Math.PI) / 180),
      1,
      0,
      0,
      0,
      1,
    ];
    const T = [
      1,
      0,
      rng.uniform(0.5 - this.translate, 0.5 + this.translate) * outW,
      0,
      1,
      rng.uniform(0.5 - this.translate, 0.5 + this.translate) * outH,
      0,
      0,
      1,
    ];
    return { M: Float64Array.from(matmul(T, matmul(S, matmul(R, matmul(P, C))))), s };
  }

  private applyBboxes(b: Float32Array, M: Float64Array): Float32Array {
    const out = new Float32Array(b.length);
    const persp = this.perspective !== 0;
    for (let i = 0; i < b.length; i += 4) {
      const xs = [b[i], b[i + 2], b[i], b[i + 2]] as number[];
      const ys = [b[i + 1], b[i + 3], b[i + 3], b[i + 1]] as number[];
      let x1 = Infinity;
      let y1 = Infinity;
      let x2 = -Infinity;
      let y2 = -Infinity;
      for (let k = 0; k < 4; k++) {
        const x = xs[k]!;
        const y = ys[k]!;
        let u = M[0]! * x + M[1]! * y + M[2]!;
        let v = M[3]! * x + M[4]! * y + M[5]!;
        if (persp) {
          const z = M[6]! * x + M[7]! * y + M[8]!;
          u /= z;
          v /= z;
        }
        x1 = Math.min(x1, u);
        x2 = Math.max(x2, u);
        y1 = Math.min(y1, v);
        y2 = Math.max(y2, v);
      }
      out[i] = x1;
      out[i + 1] = y1;
      out[i + 2] = x2;
      out[i + 3] = y2;
    }
    return out;
  }
}

/**
 * Ultralytics' apply_segments: every polygon point through M (with the perspective divide), each box from its
 * polygon's points inside the output image (`segment2box`), each polygon clipped to its box.
 */
function applySegments(instances: Instances, M: Float64Array, outW: number, outH: number): Instances {
  const n = instances.length;
  const points = instances.segmentPoints;
  const segments = new Float32Array(instances.segments.length);
  const src = instances.segments;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = M as unknown as number[];
  for (let i = 0; i < src.length; i += 2) {
    const x = src[i]!;
    const y = src[i + 1]!;
    const z = (m6 as number) * x + (m7 as number) * y + (m8 as number);
    segments[i] = ((m0 as number) * x + (m1 as number) * y + (m2 as number)) / z;
    segments[i + 1] = ((m3 as number) * x + (m4 as number) * y + (m5 as number)) / z;
  }
  const bboxes = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) {
    const seg = segments.subarray(k * points * 2, (k + 1) * points * 2);
    const box = segment2box(seg, outW, outH);
    bboxes.set(box, k * 4);
    for (let i = 0; i < seg.length; i += 2) {
      seg[i] = Math.min(Math.max(seg[i]!, box[0]), box[2]);
      seg[i + 1] = Math.min(Math.max(seg[i + 1]!, box[1]), box[3]);
    }
  }
  return new Instances(bboxes, 'xyxy', false, segments, points);
}

/**
 * Ultralytics' segment2box: the extent of a polygon's points inside [0, w]×[0, h], or zeros when none of their x
 * is non-zero (its `if any(x)` test, which also zeroes a polygon lying on x = 0).
 */
export function segment2box(xy: Float32Array, w: number, h: number): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  let anyX = false;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i]!;
    const y = xy[i + 1]!;
    if (x < 0 || y < 0 || x > w || y > h) continue;
    if (x !== 0) anyX = true;
    x1 = Math.min(x1, x);
    x2 = Math.max(x2, x);
    y1 = Math.min(y1, y);
    y2 = Math.max(y2, y);
  }
  return anyX ? [x1, y1, x2, y2] : [0, 0, 0, 0];
}

/**
 * Ultralytics' box_candidates: keep boxes (xyxy, before → after) wider and taller than `whThr` px, keeping more than
 * `areaThr` of their (scaled) area, with an aspect ratio below `arThr`. Returns the kept indices.
 */
export function boxCandidates(before: Float32Array, after: Float32Array, whThr = 2, arThr = 100, areaThr = 0.1, eps = 1e-16): number[] {
  const keep: number[] = [];
  for (let i = 0; i < after.length / 4; i++) {
    const o = i * 4;
    const w1 = before[o + 2]! - before[o]!;
    const h1 = before[o + 3]! - before[o + 1]!;
    const w2 = after[o + 2]! - after[o]!;
    const h2 = after[o + 3]! - after[o + 1]!;
    const ar = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
    if (w2 > whThr && h2 > whThr && (w2 * h2) / (w1 * h1 + eps) > areaThr && ar < arThr) keep.push(i);
  }
  return keep;
}

function matmul(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 3; k++) v += a[r * 3 + k]! * b[k * 3 + c]!;
      out[r * 3 + c] = v;
    }
  }
  return out;
}
