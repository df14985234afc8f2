import { type ApPerClassResult, apPerClass } from './ap.js';
import type { ConfusionMatrix } from './confusion-matrix.js';
import { mean, pairwiseSum } from './metric-math.js';

export { type ApPerClassResult, apPerClass, computeAp } from './ap.js';
export { boxIou } from './box-iou.js';
export { ConfusionMatrix } from './confusion-matrix.js';
export { IOUV, matchPredictions } from './match-predictions.js';

/** One plotted curve family: x values, one y row per class, axis labels. */
export type CurveResult = [x: Float64Array, y: Float64Array[], xLabel: string, yLabel: string];

/**
 * Ultralytics' `Metric`: precision, recall and AP of one kind of prediction (boxes), filled by `update` from
 * `apPerClass`. Means are taken over the classes present in the ground truth.
 *
 * @example
 * const box = new Metric();
 * box.update(apPerClass(tp, conf, predCls, targetCls));
 * box.map50; box.map; box.fitness();
 */
export class Metric {
  /** Precision per class at the max-F1 confidence. */
  p = new Float64Array(0);
  /** Recall per class at the max-F1 confidence. */
  r = new Float64Array(0);
  /** F1 per class at the max-F1 confidence. */
  f1 = new Float64Array(0);
  /** AP per class (rows) and IoU threshold 0.5…0.95 (columns). */
  allAp: Float64Array[] = [];
  /** The class id of each row. */
  apClassIndex = new Int32Array(0);
  /** Precision curves over `px`. */
  pCurve: Float64Array[] = [];
  /** Recall curves over `px`. */
  rCurve: Float64Array[] = [];
  /** F1 curves over `px`. */
  f1Curve: Float64Array[] = [];
  /** The confidence (or recall) grid of the curves. */
  px = new Float64Array(0);
  /** Precision envelopes at IoU 0.5 over recall `px`. */
  precValues: Float64Array[] = [];
  /** Number of classes of the dataset (for `maps`). */
  nc = 0;

  /** AP at IoU 0.5 per class. */
  get ap50(): Float64Array {
    return Float64Array.from(this.allAp, (row) => row[0]!);
  }

  /** AP at IoU 0.5:0.95 per class. */
  get ap(): Float64Array {
    return Float64Array.from(this.allAp, (row) => mean(row));
  }

  /** Mean precision over classes. */
  get mp(): number {
    return this.p.length ? mean(this.p) : 0;
  }

  /** Mean recall over classes. */
  get mr(): number {
    return this.r.length ? mean(this.r) : 0;
  }

  /** Mean AP at IoU 0.5. */
  get map50(): number {
    return this.allAp.length ? mean(this.ap50) : 0;
  }

  /** Mean AP at IoU 0.75. */
  get map75(): number {
    return this.allAp.length ? mean(Float64Array.from(this.allAp, (row) => row[5]!)) : 0;
  }

  /** Mean AP over IoU 0.5:0.95 and classes (mAP50-95). */
  get map(): number {
    if (!this.allAp.length) return 0;
    const flat = new Float64Array(this.allAp.length * this.allAp[0]!.length);
    this.allAp.forEach((row, i) => {
      flat.set(row, i * row.length);
    });
    return mean(flat);
  }

  /** [mp, mr, map50, map]. */
  meanResults(): [number, number, number, number] {
    return [this.mp, this.mr, this.map50, this.map];
  }

  /** [p, r, ap50, ap] of the i-th class row. */
  classResult(i: number): [number, number, number, number] {
    return [this.p[i]!, this.r[i]!, this.allAp[i]![0]!, mean(this.allAp[i]!)];
  }

  /** mAP50-95 per dataset class id; classes absent from the ground truth get the overall `map`. */
  get maps(): Float64Array {
    const maps = new Float64Array(this.nc).fill(this.map);
    const ap = this.ap;
    this.apClassIndex.forEach((c, i) => {
      if (c < 0 || c >= this.nc) throw new Error(`class ${c} is outside the dataset's ${this.nc} classes`);
      maps[c] = ap[i]!;
    });
    return maps;
  }

  /** 0.1·mAP50 + 0.9·mAP50-95 (weights 0, 0, 0.1, 0.9 on P, R, mAP50, mAP50-95). */
  fitness(): number {
    const weights = [0, 0, 0.1, 0.9];
    return pairwiseSum(this.meanResults().map((v, i) => v * weights[i]!));
  }

  /** Takes the per-class results of `apPerClass`. */
  update(results: ApPerClassResult): void {
    this.p = results.p;
    this.r = results.r;
    this.f1 = results.f1;
    this.allAp = results.ap;
    this.apClassIndex = results.uniqueClasses;
    this.pCurve = results.pCurve;
    this.rCurve = results.rCurve;
    this.f1Curve = results.f1Curve;
    this.px = results.px;
    this.precValues = results.precValues;
  }

  /** PR, F1, P and R curves for plotting, as Ultralytics' `curves_results`. */
  get curvesResults(): CurveResult[] {
    return [
      [this.px, this.precValues, 'Recall', 'Precision'],
      [this.px, this.f1Curve, 'Confidence', 'F1'],
      [this.px, this.pCurve, 'Confidence', 'Precision'],
      [this.px, this.rCurve, 'Confidence', 'Recall'],
    ];
  }
}

/** Milliseconds per image of each validation stage. */
export interface Speed {
  preprocess: number;
  inference: number;
  loss: number;
  postprocess: number;
}

/**
 * Ultralytics' `DetMetrics`: box metrics of a detection validation, its result keys and fitness.
 *
 * @example
 * const metrics = new DetMetrics({ 0: 'person', 1: 'car' });
 * metrics.process(tp, conf, predCls, targetCls);
 * metrics.resultsDict; // { 'metrics/precision(B)': …, 'metrics/mAP50-95(B)': …, fitness: … }
 */
export class DetMetrics {
  readonly task = 'detect';
  /** Box metrics. */
  readonly box = new Metric();
  /** Per-image milliseconds of each stage, filled by the validator. */
  speed: Speed = { preprocess: 0, inference: 0, loss: 0, postprocess: 0 };
  /** The validator's confusion matrix, when it kept one. */
  confusionMatrix?: ConfusionMatrix;

  /** @param names class names by id. */
  constructor(readonly names: Record<number, string> = {}) {}

  /**
   * Computes the metrics from all detections of a validation run. `tp` is (n × nIou) row-major 0/1
   * (concatenated `matchPredictions` results); `targetCls` holds the class of every label.
   */
  process(tp: ArrayLike<number>, conf: ArrayLike<number>, predCls: ArrayLike<number>, targetCls: ArrayLike<number>, nIou?: number): void {
    const results = apPerClass(tp, conf, predCls, targetCls, nIou);
    this.box.nc = Object.keys(this.names).length;
    this.box.update(results);
  }

  /** The result keys, in results.csv order. */
  get keys(): string[] {
    return ['metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)'];
  }

  /** [mp, mr, map50, map]. */
  meanResults(): [number, number, number, number] {
    return this.box.meanResults();
  }

  /** [p, r, ap50, ap] of the i-th class row. */
  classResult(i: number): [number, number, number, number] {
    return this.box.classResult(i);
  }

  /** mAP50-95 per class id. */
  get maps(): Float64Array {
    return this.box.maps;
  }

  /** 0.1·mAP50 + 0.9·mAP50-95. */
  get fitness(): number {
    return this.box.fitness();
  }

  /** The class id of each per-class row. */
  get apClassIndex(): Int32Array {
    return this.box.apClassIndex;
  }

  /** The four metric keys with their values, plus `fitness`. */
  get resultsDict(): Record<string, number> {
    const values = [...this.meanResults(), this.fitness];
    return Object.fromEntries([...this.keys, 'fitness'].map((key, i) => [key, values[i]!]));
  }

  /** Names of the curves, in `curvesResults` order. */
  get curves(): string[] {
    return ['Precision-Recall(B)', 'F1-Confidence(B)', 'Precision-Confidence(B)', 'Recall-Confidence(B)'];
  }

  /** PR, F1, P and R curves for plotting. */
  get curvesResults(): CurveResult[] {
    return this.box.curvesResults;
  }
}
