// Segmentation metrics (Ultralytics' SegmentMetrics and SegmentationValidator._process_batch for masks): box and
// mask precision/recall/mAP side by side, fitness = box fitness + mask fitness.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { apPerClass } from './ap.js';
import type { ConfusionMatrix } from './confusion-matrix.js';
import { IOUV, matchPredictions } from './match-predictions.js';
import { type CurveResult, Metric, type Speed } from './metrics.js';
import { maskIou } from './ops-mask.js';

/**
 * Box and mask metrics of a segmentation validation.
 *
 * @example
 * const metrics = new SegmentMetrics({ 0: 'circle' });
 * metrics.process(tp, tpMasks, conf, predCls, targetCls);
 * metrics.resultsDict; // { 'metrics/precision(B)': …, …, 'metrics/mAP50-95(M)': …, fitness: … }
 */
export class SegmentMetrics {
  readonly task = 'segment';
  /** Box metrics. */
  readonly box = new Metric();
  /** Mask metrics. */
  readonly seg = new Metric();
  speed: Speed = { preprocess: 0, inference: 0, loss: 0, postprocess: 0 };
  confusionMatrix?: ConfusionMatrix;

  /** @param names class names by id. */
  constructor(readonly names: Record<number, string> = {}) {}

  /**
   * Computes both from all detections of a run: `tp` (box matches) and `tpMasks` (mask matches) are (n × nIou)
   * row-major 0/1; `targetCls` holds the class of every label.
   */
  process(
    tp: ArrayLike<number>,
    tpMasks: ArrayLike<number>,
    conf: ArrayLike<number>,
    predCls: ArrayLike<number>,
    targetCls: ArrayLike<number>,
    nIou?: number,
  ): void {
    const nc = Object.keys(this.names).length;
    this.seg.nc = nc;
    this.seg.update(apPerClass(tpMasks, conf, predCls, targetCls, nIou));
    this.box.nc = nc;
    this.box.update(apPerClass(tp, conf, predCls, targetCls, nIou));
  }

  /** The result keys, in results.csv order. */
  get keys(): string[] {
    return [
      'metrics/precision(B)',
      'metrics/recall(B)',
      'metrics/mAP50(B)',
      'metrics/mAP50-95(B)',
      'metrics/precision(M)',
      'metrics/recall(M)',
      'metrics/mAP50(M)',
      'metrics/mAP50-95(M)',
    ];
  }

  /** Box [mp, mr, map50, map] then mask [mp, mr, map50, map]. */
  meanResults(): number[] {
    return [...this.box.meanResults(), ...this.seg.meanResults()];
  }

  /** Box then mask [p, r, ap50, ap] of the i-th class row. */
  classResult(i: number): number[] {
    return [...this.box.classResult(i), ...this.seg.classResult(i)];
  }

  /** Box mAP50-95 plus mask mAP50-95 per class id. */
  get maps(): Float64Array {
    const box = this.box.maps;
    const seg = this.seg.maps;
    return box.map((v, i) => v + seg[i]!);
  }

  /** Box fitness + mask fitness (each 0.1·mAP50 + 0.9·mAP50-95). */
  get fitness(): number {
    return this.seg.fitness() + this.box.fitness();
  }

  /** The class id of each per-class row. */
  get apClassIndex(): Int32Array {
    return this.box.apClassIndex;
  }

  /** The eight metric keys with their values, plus `fitness`. */
  get resultsDict(): Record<string, number> {
    const values = [...this.meanResults(), this.fitness];
    return Object.fromEntries([...this.keys, 'fitness'].map((key, i) => [key, values[i]!]));
  }

  /** Names of the curves, in `curvesResults` order. */
  get curves(): string[] {
    const names = ['Precision-Recall', 'F1-Confidence', 'Precision-Confidence', 'Recall-Confidence'];
    return [...names.map((n) => `${n}(B)`), ...names.map((n) => `${n}(M)`)];
  }

  /** Box then mask PR, F1, P and R curves. */
  get curvesResults(): CurveResult[] {
    return [...this.box.curvesResults, ...this.seg.curvesResults];
  }
}

/**
 * The mask half of SegmentationValidator._process_batch: which predictions are true positives at each IoU threshold
 * by mask IoU. `gtMasks` is the image's index mask (h, w) (value k = label k counted from 1) with `overlap`, else its
 * labels' 0/1 masks (n, h, w); when its size differs from the predictions' it is resized bilinearly and thresholded
 * at 0.5. Returns (predictions × thresholds) row-major 0/1, as `matchPredictions`.
 */
export function maskTruePositives(
  predMasks: Tensor,
  gtMasks: Tensor,
  overlap: boolean,
  predCls: ArrayLike<number>,
  gtCls: ArrayLike<number>,
  iouv: ArrayLike<number> = IOUV,
): Uint8Array {
  const iou = torch.tidy(() => {
    const nl = gtCls.length;
    let gt = gtMasks.float();
    if (overlap) {
      const index = torch.arange(1, nl + 1, 1, { dtype: 'float32', device: gt.device }).view(nl, 1, 1);
      gt = gt
        .view(1, gt.shape[gt.ndim - 2]!, gt.shape[gt.ndim - 1]!)
        .eq(index)
        .float();
    }
    const [ph, pw] = predMasks.shape.slice(1) as [number, number];
    if (gt.shape[1] !== ph || gt.shape[2] !== pw) {
      gt = torch.F.interpolate(gt.unsqueeze(0), { size: [ph, pw], mode: 'bilinear', alignCorners: false })
        .squeeze(0)
        .gt(0.5)
        .float();
    }
    return maskIou(gt.flatten(1), predMasks.flatten(1)).toTypedArray() as Float32Array;
  });
  return matchPredictions(predCls, gtCls, iou, iouv);
}
