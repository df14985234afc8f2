/**
 * The 10 IoU thresholds of mAP50-95, as the float32 values of Ultralytics' `torch.linspace(0.5, 0.95, 10)`.
 *
 * @example
 * IOUV[1]; // 0.550000011920929
 */
export const IOUV: Float32Array = Float32Array.from({ length: 10 }, (_, i) => 0.5 + i * 0.05);

/**
 * Ultralytics' `DetectionValidator.match_predictions` (the non-scipy path): which predictions are true positives
 * at each IoU threshold. Per threshold: IoUs of class-mismatched pairs are zeroed, pairs with IoU >= threshold are
 * ordered by IoU (highest first), each prediction keeps its best label, then each label keeps the
 * lowest-indexed prediction that chose it — NumPy's `np.unique` returns index order there, not IoU order.
 *
 * `iou` is the (labels × predictions) matrix from `boxIou(gtBoxes, predBoxes)`; thresholds are compared as
 * float32, as the real engine does. Returns a (predictions × thresholds) row-major 0/1 matrix.
 *
 * @example
 * const iou = boxIou(gtBoxes, predBoxes);
 * const tp = matchPredictions(predCls, gtCls, iou, IOUV); // tp[d * 10 + t] === 1: prediction d is TP at IOUV[t]
 */
export function matchPredictions(
  predClasses: ArrayLike<number>,
  trueClasses: ArrayLike<number>,
  iou: ArrayLike<number>,
  iouv: ArrayLike<number> = IOUV,
): Uint8Array {
  const nPred = predClasses.length;
  const nTrue = trueClasses.length;
  const nThr = iouv.length;
  if (iou.length !== nPred * nTrue) {
    throw new Error(`iou must be a ${nTrue}x${nPred} (labels x predictions) matrix, got ${iou.length} values`);
  }
  const correct = new Uint8Array(nPred * nThr);
  if (nPred === 0 || nTrue === 0 || nThr === 0) return correct;

  const thresholds = Float64Array.from(iouv, Math.fround);
  const lowest = Math.min(...thresholds);
  // Candidate pairs as flat label-major indices, ordered as NumPy's reversed argsort leaves them: IoU descending,
  // ties with the later pair first.
  const candidates: number[] = [];
  for (let l = 0; l < nTrue; l++) {
    for (let d = 0; d < nPred; d++) {
      const k = l * nPred + d;
      if (trueClasses[l] === predClasses[d] && iou[k]! >= lowest) candidates.push(k);
    }
  }
  const pairs = Int32Array.from(candidates).sort((a, b) => iou[b]! - iou[a]! || b - a);

  const bestLabel = new Int32Array(nPred);
  const labelTaken = new Uint8Array(nTrue);
  for (let t = 0; t < nThr; t++) {
    bestLabel.fill(-1);
    labelTaken.fill(0);
    for (let p = 0; p < pairs.length && iou[pairs[p]!]! >= thresholds[t]!; p++) {
      const d = pairs[p]! % nPred;
      if (bestLabel[d] === -1) bestLabel[d] = (pairs[p]! - d) / nPred;
    }
    for (let d = 0; d < nPred; d++) {
      const l = bestLabel[d]!;
      if (l >= 0 && !labelTaken[l]) {
        labelTaken[l] = 1;
        correct[d * nThr + t] = 1;
      }
    }
  }
  return correct;
}
