// The segmentation task's plots: batch mosaics with masks, results.png in 2×8, and the box and mask curves
// (BoxPR_curve.png … MaskR_curve.png) with the confusion matrices.
import { join } from 'node:path';
import type { ConfusionMatrix } from '../../../utils/metrics.js';
import type { SegmentMetrics } from '../../../utils/metrics-segment.js';
import { plotConfusionMatrix, plotMcCurve, plotPrCurve, plotResults, SEGMENT_RESULTS_PLOT_COLUMNS } from '../../../utils/plotting/index.js';

/** Predicted masks per image of a validation batch (at most 15 each, as Ultralytics plots them). */
export interface PredictedMasks {
  /** n × h × w 0/1, the images' masks concatenated in detection order. */
  data: Uint8Array;
  shape: [number, number, number];
}

/** results.png: Ultralytics' plot_results(segment=True), 2×8. */
export async function plotSegmentationResults(csv: string, saveDir: string): Promise<void> {
  await plotResults(csv, saveDir, { columns: SEGMENT_RESULTS_PLOT_COLUMNS, widthIn: 18 });
}

/** Box*_curve.png and Mask*_curve.png (PR, F1, P, R) and both confusion matrices of a validation run. */
export async function plotSegmentationCurves(
  metrics: SegmentMetrics,
  confusion: ConfusionMatrix | null,
  names: string[],
  saveDir: string,
): Promise<void> {
  const classNames = Array.from(metrics.apClassIndex, (c) => names[c] ?? String(c));
  for (const [prefix, metric] of [
    ['Box', metrics.box],
    ['Mask', metrics.seg],
  ] as const) {
    const [pr, f1, p, r] = metric.curvesResults;
    if (!pr?.[1].length) continue;
    await plotPrCurve(pr[0], pr[1], Array.from(metric.ap50), classNames, join(saveDir, `${prefix}PR_curve.png`));
    for (const [curve, file, label] of [
      [f1, 'F1_curve.png', 'F1'],
      [p, 'P_curve.png', 'Precision'],
      [r, 'R_curve.png', 'Recall'],
    ] as const) {
      if (curve) await plotMcCurve(curve[0], curve[1], classNames, join(saveDir, `${prefix}${file}`), label);
    }
  }
  if (confusion) {
    const rows = confusion.toArray();
    await plotConfusionMatrix(rows, names, saveDir, { normalize: true });
    await plotConfusionMatrix(rows, names, saveDir, { normalize: false });
  }
}
