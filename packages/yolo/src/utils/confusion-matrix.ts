import { boxIou } from './box-iou.js';

/**
 * Ultralytics 8.2.103's detection `ConfusionMatrix`: (nc+1) × (nc+1) counts, rows = predicted class, columns = true
 * class, the last row/column = background. Detections at or below `conf` are dropped; GT-detection pairs with
 * IoU > `iouThres` (any class) are matched one-to-one, highest IoU first.
 *
 * @example
 * const cm = new ConfusionMatrix(80);
 * cm.processBatch(detections, gtBoxes, gtCls); // per image, [x1,y1,x2,y2,conf,cls] rows
 * cm.get(0, 0); // person detected as person
 */
export class ConfusionMatrix {
  /** Number of classes (without background). */
  readonly nc: number;
  /** Confidence threshold: 0.25 when given null or the validation default 0.001. */
  readonly conf: number;
  /** IoU above which a detection matches a label. */
  readonly iouThres: number;
  /** The counts, row-major (nc+1) × (nc+1). */
  readonly matrix: Float64Array;

  constructor(nc: number, conf: number | null = 0.25, iouThres = 0.45) {
    this.nc = nc;
    this.conf = conf === null || conf === 0.001 ? 0.25 : conf;
    this.iouThres = iouThres;
    this.matrix = new Float64Array((nc + 1) * (nc + 1));
  }

  /** The count of detections of class `predicted` on labels of class `actual` (nc = background). */
  get(predicted: number, actual: number): number {
    return this.matrix[predicted * (this.nc + 1) + actual]!;
  }

  /** The matrix as rows of numbers. */
  toArray(): number[][] {
    const size = this.nc + 1;
    return Array.from({ length: size }, (_, row) => Array.from(this.matrix.subarray(row * size, (row + 1) * size)));
  }

  /**
   * Adds one image. `detections`: n rows of [x1, y1, x2, y2, conf, cls] (flat, n·6 values; null or empty for
   * none), `gtBboxes`: xyxy (flat, m·4), `gtCls`: m classes, in the same pixel space. As in 8.2.103, unmatched
   * detections count as background false positives only when the image has at least one match (or no labels).
   */
  processBatch(detections: ArrayLike<number> | null, gtBboxes: ArrayLike<number>, gtCls: ArrayLike<number>): void {
    if (detections && detections.length % 6 !== 0) {
      throw new Error(`detections must be rows of [x1, y1, x2, y2, conf, cls] (a multiple of 6), got ${detections.length}`);
    }
    const { boxes, classes: detClasses } = this.keepConfident(detections ?? []);
    if (gtCls.length === 0) {
      for (const dc of detClasses) this.add(dc, this.nc);
      return;
    }
    const gtClasses = Array.from(gtCls, Math.trunc);
    const iou = boxIou(gtBboxes, boxes);
    const matchedDet = this.match(iou, gtClasses.length, detClasses.length);

    let anyMatch = false;
    const detMatched = new Uint8Array(detClasses.length);
    gtClasses.forEach((gc, g) => {
      const d = matchedDet[g]!;
      if (d >= 0) {
        anyMatch = true;
        detMatched[d] = 1;
        this.add(detClasses[d]!, gc);
      } else {
        this.add(this.nc, gc);
      }
    });
    if (!anyMatch) return;
    detClasses.forEach((dc, d) => {
      if (!detMatched[d]) this.add(dc, this.nc);
    });
  }

  /** True and false positives per class (background excluded): the diagonal, and row sums minus it. */
  tpFp(): { tp: Float64Array; fp: Float64Array } {
    const size = this.nc + 1;
    const tp = new Float64Array(this.nc);
    const fp = new Float64Array(this.nc);
    for (let c = 0; c < this.nc; c++) {
      let rowSum = 0;
      for (let k = 0; k < size; k++) rowSum += this.matrix[c * size + k]!;
      tp[c] = this.matrix[c * size + c]!;
      fp[c] = rowSum - tp[c]!;
    }
    return { tp, fp };
  }

  private add(predicted: number, actual: number): void {
    if (!(predicted >= 0 && predicted <= this.nc && actual >= 0 && actual <= this.nc)) {
      throw new Error(`confusion matrix cell (${predicted}, ${actual}) is outside 0..${this.nc}: a class id >= nc ${this.nc}?`);
    }
    this.matrix[predicted * (this.nc + 1) + actual]!++;
  }

  /**
   * Boxes (xyxy, packed) and integer classes of the rows whose confidence exceeds `conf`, compared in float32 as
   * torch compares a float32 tensor.
   */
  private keepConfident(detections: ArrayLike<number>): { boxes: Float64Array; classes: Int32Array } {
    const threshold = Math.fround(this.conf);
    let kept = 0;
    for (let i = 4; i < detections.length; i += 6) if (detections[i]! > threshold) kept++;
    const boxes = new Float64Array(kept * 4);
    const classes = new Int32Array(kept);
    for (let i = 0, d = 0; i < detections.length; i += 6) {
      if (!(detections[i + 4]! > threshold)) continue;
      for (let k = 0; k < 4; k++) boxes[d * 4 + k] = detections[i + k]!;
      classes[d++] = Math.trunc(detections[i + 5]!);
    }
    return { boxes, classes };
  }

  /**
   * The detection matched to each label (-1 for none), as 8.2.103 dedupes its (label, detection, IoU) list:
   * sort by IoU descending, keep each detection's first pair, sort by IoU descending again, keep each label's
   * first pair. Ties fall as NumPy's reversed argsort leaves them (later rows first).
   */
  private match(iou: Float32Array, nGt: number, nDet: number): Int32Array {
    const threshold = Math.fround(this.iouThres);
    const pairs: number[] = [];
    for (let k = 0; k < iou.length; k++) if (iou[k]! > threshold) pairs.push(k);
    pairs.sort((a, b) => iou[b]! - iou[a]! || b - a);

    // First pair per detection; the survivors come out in detection order (np.unique).
    const perDet = new Int32Array(nDet).fill(-1);
    for (const k of pairs) if (perDet[k % nDet] === -1) perDet[k % nDet] = k;
    const survivors: number[] = [];
    for (let d = 0; d < nDet; d++) if (perDet[d]! >= 0) survivors.push(d);
    survivors.sort((a, b) => iou[perDet[b]!]! - iou[perDet[a]!]! || b - a);

    const matchedDet = new Int32Array(nGt).fill(-1);
    for (const d of survivors) {
      const g = (perDet[d]! - d) / nDet;
      if (matchedDet[g] === -1) matchedDet[g] = d;
    }
    return matchedDet;
  }
}
