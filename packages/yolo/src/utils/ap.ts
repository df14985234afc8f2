import { argmax, interp, linspace, roundHalfEven, smooth, trapz } from './metric-math.js';

const EPS = 1e-16;
/** Points of the confidence grid the P, R and F1 curves are sampled on. */
const CURVE_POINTS = 1000;
const X101 = linspace(0, 1, 101);

/** What `apPerClass` returns; per-class arrays follow `uniqueClasses`. */
export interface ApPerClassResult {
  /** True positives per class at the max-F1 confidence: round(r · n_gt). */
  tp: Float64Array;
  /** False positives per class at the max-F1 confidence: round(tp / p − tp). */
  fp: Float64Array;
  /** Precision per class at the max-F1 confidence. */
  p: Float64Array;
  /** Recall per class at the max-F1 confidence. */
  r: Float64Array;
  /** F1 per class at the max-F1 confidence. */
  f1: Float64Array;
  /** AP per class (rows) and IoU threshold (columns). */
  ap: Float64Array[];
  /** The classes present in the ground truth, ascending. */
  uniqueClasses: Int32Array;
  /** Precision per class over `px` (confidence). */
  pCurve: Float64Array[];
  /** Recall per class over `px` (confidence). */
  rCurve: Float64Array[];
  /** F1 per class over `px` (confidence). */
  f1Curve: Float64Array[];
  /** The 1000-point grid [0, 1] the curves are sampled on. */
  px: Float64Array;
  /** Precision envelope over recall `px` at IoU 0.5, one row per class that has predictions (Ultralytics skips the others). */
  precValues: Float64Array[];
}

/**
 * `compute_ap(recall, precision)`: AP as the area under the precision envelope, sampled at 101 recall points
 * (COCO) and integrated with the trapezoid rule. Reads the first `n` entries; returns `mrec`/`mpre` with sentinels.
 *
 * @example
 * computeAp([0.5, 1], [1, 0.5]).ap; // 0.8725 (to rounding)
 */
export function computeAp(
  recall: ArrayLike<number>,
  precision: ArrayLike<number>,
  n = recall.length,
): { ap: number; mpre: Float64Array; mrec: Float64Array } {
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec[0] = 0;
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i]!;
    mpre[i + 1] = precision[i]!;
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
  const ap = trapz(interp(X101, mrec, mpre, n + 2, new Float64Array(X101.length)), X101);
  return { ap, mpre, mrec };
}

/**
 * Ultralytics' `ap_per_class`: per ground-truth class, AP at each IoU threshold and the P/R/F1 curves; P, R and
 * F1 are read at the single confidence that maximises the class-mean F1 after box-filter smoothing (fraction 0.1).
 * Detections of classes absent from the ground truth are ignored.
 *
 * @param tp (n × nIou) row-major 0/1 matrix from `matchPredictions`, one row per detection.
 * @param conf detection confidences.
 * @param predCls detection classes.
 * @param targetCls ground-truth classes of every label.
 * @example
 * const r = apPerClass(tp, conf, predCls, targetCls);
 * r.ap[0][0]; // AP50 of the first class in r.uniqueClasses
 */
export function apPerClass(
  tp: ArrayLike<number>,
  conf: ArrayLike<number>,
  predCls: ArrayLike<number>,
  targetCls: ArrayLike<number>,
  nIou = conf.length ? tp.length / conf.length : 10,
): ApPerClassResult {
  const nPred = conf.length;
  if (predCls.length !== nPred || tp.length !== nPred * nIou || !Number.isInteger(nIou)) {
    throw new Error(
      `apPerClass: tp (${tp.length} values), conf (${nPred}) and predCls (${predCls.length}) disagree on the number of detections`,
    );
  }
  const { classes, counts } = uniqueCounts(targetCls);
  const nc = classes.length;
  const px = linspace(0, 1, CURVE_POINTS);
  const negPx = px.map((v) => -v);
  const ap = Array.from({ length: nc }, () => new Float64Array(nIou));
  const pCurve = Array.from({ length: nc }, () => new Float64Array(CURVE_POINTS));
  const rCurve = Array.from({ length: nc }, () => new Float64Array(CURVE_POINTS));
  const precValues: Float64Array[] = [];

  const byClass = groupByClassInConfOrder(conf, predCls, classes);
  const maxPerClass = Math.max(0, ...byClass.map((g) => g.length));
  const negConf = new Float64Array(maxPerClass);
  const recall = Array.from({ length: nIou }, () => new Float64Array(maxPerClass));
  const precision = Array.from({ length: nIou }, () => new Float64Array(maxPerClass));

  for (let ci = 0; ci < nc; ci++) {
    const dets = byClass[ci]!;
    const nLabels = counts[ci]!;
    const n = dets.length;
    if (n === 0 || nLabels === 0) continue;
    for (let j = 0; j < nIou; j++) {
      let tpc = 0;
      for (let k = 0; k < n; k++) {
        tpc += tp[dets[k]! * nIou + j] ? 1 : 0;
        recall[j]![k] = tpc / (nLabels + EPS);
        precision[j]![k] = tpc / (k + 1);
      }
    }
    for (let k = 0; k < n; k++) negConf[k] = -conf[dets[k]!]!;
    interp(negPx, negConf, recall[0]!, n, rCurve[ci]!, 0);
    interp(negPx, negConf, precision[0]!, n, pCurve[ci]!, 1);
    for (let j = 0; j < nIou; j++) {
      const { ap: value, mpre, mrec } = computeAp(recall[j]!, precision[j]!, n);
      ap[ci]![j] = value;
      if (j === 0) precValues.push(interp(px, mrec, mpre, n + 2, new Float64Array(CURVE_POINTS)));
    }
  }

  const f1Curve = pCurve.map((pc, ci) => pc.map((p, k) => (2 * p * rCurve[ci]![k]!) / (p + rCurve[ci]![k]! + EPS)));
  const best = nc ? argmax(smooth(classMean(f1Curve), 0.1)) : 0;
  const p = Float64Array.from(pCurve, (c) => c[best]!);
  const r = Float64Array.from(rCurve, (c) => c[best]!);
  const f1 = Float64Array.from(f1Curve, (c) => c[best]!);
  const tpAtBest = r.map((v, i) => roundHalfEven(v * counts[i]!));
  const fpAtBest = tpAtBest.map((v, i) => roundHalfEven(v / (p[i]! + EPS) - v));
  return {
    tp: tpAtBest,
    fp: fpAtBest,
    p,
    r,
    f1,
    ap,
    uniqueClasses: Int32Array.from(classes),
    pCurve,
    rCurve,
    f1Curve,
    px,
    precValues,
  };
}

/** `np.unique(values, return_counts=True)`. */
function uniqueCounts(values: ArrayLike<number>): { classes: number[]; counts: number[] } {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i]!, (counts.get(values[i]!) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  return { classes, counts: classes.map((c) => counts.get(c) as number) };
}

/**
 * Detection indices per class (of `classes`), each list in descending confidence; equal confidences keep their
 * input order (NumPy's argsort is stable on the short runs where ties occur in practice).
 */
function groupByClassInConfOrder(conf: ArrayLike<number>, predCls: ArrayLike<number>, classes: number[]): Int32Array[] {
  const order = Int32Array.from({ length: conf.length }, (_, i) => i).sort((a, b) => conf[b]! - conf[a]! || a - b);
  const slot = new Map(classes.map((c, i) => [c, i]));
  const sizes = new Int32Array(classes.length);
  for (let i = 0; i < predCls.length; i++) {
    const s = slot.get(predCls[i]!);
    if (s !== undefined) sizes[s]!++;
  }
  const groups = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(classes.length);
  for (const i of order) {
    const s = slot.get(predCls[i]!);
    if (s !== undefined) groups[s]![filled[s]!++] = i;
  }
  return groups;
}

/** `f1_curve.mean(0)`: rows added one after another (NumPy's axis-0 reduction order), then divided. */
function classMean(rows: Float64Array[]): Float64Array {
  const out = new Float64Array(rows[0]!.length);
  for (const row of rows) for (let k = 0; k < out.length; k++) out[k]! += row[k]!;
  for (let k = 0; k < out.length; k++) out[k]! /= rows.length;
  return out;
}
