// Polygon labels → masks, as Ultralytics' data/utils.py (polygon2mask, polygons2masks, polygons2masks_overlap) and
// utils/ops.py (resample_segments) compute them.
import { fillPoly } from './fill-poly.js';

/** Points per resampled polygon (Ultralytics' YOLODataset for segment datasets). */
export const SEGMENT_POINTS = 1000;

/**
 * Ultralytics' resample_segments for one polygon (flat [x0, y0, x1, y1, …]): closed by repeating vertex 0, then `n`
 * points uniform in the vertex index (np.interp over np.linspace(0, len, n)), not in arc length. float32 out.
 * @example resampleSegment([0, 0, 1, 0, 0, 1]) // 1000 points, ~333 per edge
 */
export function resampleSegment(xy: ArrayLike<number>, n = SEGMENT_POINTS): Float32Array {
  const count = Math.floor(xy.length / 2);
  const out = new Float32Array(n * 2);
  if (count === 0) return out;
  const last = count; // index of the repeated vertex 0
  const step = last / (n - 1);
  const coord = (i: number, axis: number): number => Math.fround(xy[(i % count) * 2 + axis]!);
  for (let k = 0; k < n; k++) {
    // numpy.linspace: k·step, the last point exactly `stop`; numpy.interp: slope·(x − xp[j]) + fp[j].
    const x = k === n - 1 ? last : k * step;
    const j = Math.min(Math.floor(x), last);
    for (let axis = 0; axis < 2; axis++) {
      if (j >= last) {
        out[k * 2 + axis] = coord(last, axis);
      } else {
        const y0 = coord(j, axis);
        const slope = coord(j + 1, axis) - y0;
        out[k * 2 + axis] = slope * (x - j) + y0;
      }
    }
  }
  return out;
}

/**
 * cv2.resize(mask, (w / ratio, h / ratio)) with OpenCV's default INTER_LINEAR for an integer ratio that divides both
 * sides: each output pixel samples (d + 0.5)·ratio − 0.5, i.e. the single centre pixel of its cell for an odd ratio
 * and the mean of the 2×2 centre pixels, rounded half up (OpenCV's fixed point), for an even one.
 */
function downsample(mask: Uint8Array, h: number, w: number, ratio: number): Uint8Array {
  if (ratio === 1) return mask;
  if (!Number.isInteger(ratio) || ratio < 1 || h % ratio !== 0 || w % ratio !== 0) {
    throw new RangeError(`mask_ratio ${ratio} must be a positive integer dividing the image size ${h}x${w} (use 1, 2, 4 or 8)`);
  }
  const nh = h / ratio;
  const nw = w / ratio;
  const out = new Uint8Array(nh * nw);
  const even = ratio % 2 === 0;
  const off = even ? ratio / 2 - 1 : (ratio - 1) / 2;
  for (let y = 0; y < nh; y++) {
    const top = (y * ratio + off) * w;
    for (let x = 0; x < nw; x++) {
      const p = top + x * ratio + off;
      if (even) {
        const sum = mask[p]! + mask[p + 1]! + mask[p + w]! + mask[p + w + 1]!;
        out[y * nw + x] = Math.floor(sum / 4 + 0.5);
      } else {
        out[y * nw + x] = mask[p]!;
      }
    }
  }
  return out;
}

/**
 * Ultralytics' polygon2mask: the polygon (flat xy in pixels; truncated to int32 toward zero) filled with `color` on an
 * h×w image (cv2.fillPoly), then resized to (h / ratio, w / ratio).
 */
export function polygon2mask([h, w]: [number, number], polygon: ArrayLike<number>, color = 1, ratio = 1): Uint8Array {
  const full = new Uint8Array(h * w);
  const ints = Int32Array.from(polygon, (v) => Math.trunc(v));
  fillPoly({ data: full, height: h, width: w }, ints, color);
  return downsample(full, h, w, ratio);
}

/** Ultralytics' polygons2masks: one 0/1 mask per polygon, (n, h / ratio, w / ratio) flattened. */
export function polygons2masks(shape: [number, number], polygons: readonly ArrayLike<number>[], ratio = 1): Uint8Array {
  const [h, w] = shape;
  const size = Math.floor(h / ratio) * Math.floor(w / ratio);
  const out = new Uint8Array(polygons.length * size);
  polygons.forEach((p, i) => {
    out.set(polygon2mask(shape, p, 1, ratio), i * size);
  });
  return out;
}

/**
 * Ultralytics' polygons2masks_overlap: one index mask (h / ratio, w / ratio) where value k+1 marks the k-th polygon
 * of `order`, polygons sorted by mask area, largest first, so a smaller one painted later covers a larger one.
 * Replicates its quirks: areas are unsigned, so a polygon whose mask vanished (area 0) sorts first; the mask is uint8
 * up to 255 polygons and the running sum wraps there before it is clipped; ties keep the input order (numpy's sort
 * is stable below 17 items).
 * @returns the index mask and `order` (row k of the sorted labels = input row order[k])
 */
export function polygons2masksOverlap(
  shape: [number, number],
  polygons: readonly ArrayLike<number>[],
  ratio = 1,
): { mask: Uint8Array | Int32Array; order: number[] } {
  const [h, w] = shape;
  const size = Math.floor(h / ratio) * Math.floor(w / ratio);
  const wide = polygons.length > 255;
  const masks = polygons.map((p) => polygon2mask(shape, p, 1, ratio));
  const areas = masks.map((m) => m.reduce((a, b) => a + b, 0));
  const wrapped = (area: number): number => (area === 0 ? Number.NEGATIVE_INFINITY : -area); // −area as uint64: 0 is the smallest
  const order = areas.map((_, i) => i).sort((a, b) => wrapped(areas[a]!) - wrapped(areas[b]!) || a - b);
  const mask = wide ? new Int32Array(size) : new Uint8Array(size);
  order.forEach((k, i) => {
    const m = masks[k]!;
    for (let p = 0; p < size; p++) {
      if (m[p]) {
        const sum = mask[p]! + (i + 1);
        mask[p] = Math.min(wide ? sum : sum & 0xff, i + 1);
      }
    }
  });
  return { mask, order };
}
