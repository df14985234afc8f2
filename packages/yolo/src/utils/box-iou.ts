const f32 = Math.fround;
const EPS = f32(1e-7);

/**
 * Ultralytics' `box_iou` for flat xyxy arrays: the (N × M) IoU matrix, row-major, of `boxes1` (N·4 values) against
 * `boxes2` (M·4). Every step is rounded to float32 as torch computes it on float32 boxes, so threshold comparisons
 * downstream match the real engine bit for bit: `inter / (area1 + area2 - inter + 1e-7)`.
 *
 * @example
 * boxIou([0, 0, 10, 10], [5, 0, 15, 10]); // Float32Array [0.33333334]
 */
export function boxIou(boxes1: ArrayLike<number>, boxes2: ArrayLike<number>): Float32Array {
  const n = checkBoxes(boxes1, 'boxes1');
  const m = checkBoxes(boxes2, 'boxes2');
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = f32(boxes1[i * 4]!);
    const ay1 = f32(boxes1[i * 4 + 1]!);
    const ax2 = f32(boxes1[i * 4 + 2]!);
    const ay2 = f32(boxes1[i * 4 + 3]!);
    const area1 = f32(f32(ax2 - ax1) * f32(ay2 - ay1));
    for (let j = 0; j < m; j++) {
      const bx1 = f32(boxes2[j * 4]!);
      const by1 = f32(boxes2[j * 4 + 1]!);
      const bx2 = f32(boxes2[j * 4 + 2]!);
      const by2 = f32(boxes2[j * 4 + 3]!);
      const w = Math.max(f32(Math.min(ax2, bx2) - Math.max(ax1, bx1)), 0);
      const h = Math.max(f32(Math.min(ay2, by2) - Math.max(ay1, by1)), 0);
      const inter = f32(w * h);
      const area2 = f32(f32(bx2 - bx1) * f32(by2 - by1));
      out[i * m + j] = inter / f32(f32(f32(area1 + area2) - inter) + EPS);
    }
  }
  return out;
}

function checkBoxes(boxes: ArrayLike<number>, name: string): number {
  if (boxes.length % 4 !== 0) throw new Error(`${name} must hold xyxy boxes (a multiple of 4 values), got ${boxes.length}`);
  return boxes.length / 4;
}
