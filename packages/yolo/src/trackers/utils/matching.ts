// Ultralytics' trackers/utils/matching.py cost matrices: 1 - IoU between tracks and detections, optionally fused
// with the detections' confidences. Matrices are row-major Float64Array, rows = first list.

/** Anything with a current box in corner form. */
export interface HasXyxy {
  readonly xyxy: ArrayLike<number>;
}

/** Anything with a detection confidence. */
export interface HasScore {
  readonly score: number;
}

/** A cost matrix: `data[i * cols + j]`. */
export interface CostMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** 1 - IoU of every (a, b) pair (bbox_ioa with iou=True, eps 1e-7), from float32 corners as Ultralytics. */
export function iouDistance(a: readonly HasXyxy[], b: readonly HasXyxy[]): CostMatrix {
  const rows = a.length;
  const cols = b.length;
  const data = new Float64Array(rows * cols);
  const f = Math.fround;
  const boxes = (list: readonly HasXyxy[]): Float32Array => {
    const out = new Float32Array(list.length * 4);
    list.forEach((t, i) => out.set(Array.from(t.xyxy).slice(0, 4), i * 4));
    return out;
  };
  const ba = boxes(a);
  const bb = boxes(b);
  for (let i = 0; i < rows; i++) {
    const [ax1, ay1, ax2, ay2] = [ba[i * 4], ba[i * 4 + 1], ba[i * 4 + 2], ba[i * 4 + 3]] as [number, number, number, number];
    const areaA = f(f(ax2 - ax1) * f(ay2 - ay1));
    for (let j = 0; j < cols; j++) {
      const [bx1, by1, bx2, by2] = [bb[j * 4], bb[j * 4 + 1], bb[j * 4 + 2], bb[j * 4 + 3]] as [number, number, number, number];
      const iw = Math.max(f(Math.min(ax2, bx2) - Math.max(ax1, bx1)), 0);
      const ih = Math.max(f(Math.min(ay2, by2) - Math.max(ay1, by1)), 0);
      const inter = f(iw * ih);
      const union = f(f(f(f(bx2 - bx1) * f(by2 - by1)) + areaA) - inter);
      data[i * cols + j] = 1 - f(inter / f(union + 1e-7));
    }
  }
  return { data, rows, cols };
}

/** 1 - (1 - cost) · score of each column's detection (matching.fuse_score). */
export function fuseScore(cost: CostMatrix, detections: readonly HasScore[]): CostMatrix {
  const data = new Float64Array(cost.data.length);
  for (let i = 0; i < cost.rows; i++) {
    for (let j = 0; j < cost.cols; j++) {
      const k = i * cost.cols + j;
      data[k] = 1 - (1 - cost.data[k]!) * detections[j]!.score;
    }
  }
  return { data, rows: cost.rows, cols: cost.cols };
}
