// The detection task's plots: training/validation batch mosaics, labels.jpg, results.png, curves and confusion matrices.
import { join } from 'node:path';
import type { RawBatch } from '../../../data/collate.js';
import type { YOLODataset } from '../../../data/dataset.js';
import type { ConfusionMatrix, DetMetrics } from '../../../utils/metrics.js';
import {
  type PlotImagesInput,
  plotConfusionMatrix,
  plotImages,
  plotLabels,
  plotMcCurve,
  plotPrCurve,
  plotResults,
} from '../../../utils/plotting/index.js';

/**
 * A batch mosaic with its labels: train_batch{ni}.jpg (augmented training batch) or val_batch{ni}_labels.jpg; the
 * masks painted in when the batch has them (segmentation).
 */
async function plotLabelledBatch(batch: RawBatch, names: string[], fname: string): Promise<void> {
  await plotImages({
    images: batch.img,
    shape: batch.imgShape,
    batchIdx: batch.batchIdx,
    cls: batch.cls,
    bboxes: batch.bboxes,
    paths: batch.imFile,
    names,
    fname,
    ...(batch.masks && batch.masksShape ? { masks: { data: batch.masks, shape: batch.masksShape } } : {}),
  });
}

export async function plotTrainingBatch(batch: RawBatch, names: string[], saveDir: string, ni: number): Promise<void> {
  await plotLabelledBatch(batch, names, join(saveDir, `train_batch${ni}.jpg`));
}

/** labels.jpg: class histogram and box statistics of the training set. */
export async function plotDetectionLabels(dataset: YOLODataset, names: string[], saveDir: string): Promise<void> {
  const cls = dataset.labels.flatMap((l) => Array.from(l.cls));
  const boxes = dataset.labels.flatMap((l) => Array.from(l.bboxes));
  await plotLabels(cls, boxes, names, saveDir);
}

/** results.png from results.csv. */
export async function plotDetectionMetrics(csv: string, saveDir: string): Promise<void> {
  await plotResults(csv, saveDir);
}

export async function plotValBatchLabels(batch: RawBatch, names: string[], saveDir: string, ni: number): Promise<void> {
  await plotLabelledBatch(batch, names, join(saveDir, `val_batch${ni}_labels.jpg`));
}

/**
 * val_batch{ni}_pred.jpg: a validation batch with its detections (pixel xyxy rows [x1, y1, x2, y2, conf, cls], the
 * first 15 of each image) and, for segmentation, their masks (one per plotted detection).
 */
export async function plotValBatchPredictions(
  batch: RawBatch,
  detections: number[][][],
  names: string[],
  saveDir: string,
  ni: number,
  masks?: PlotImagesInput['masks'],
): Promise<void> {
  const batchIdx: number[] = [];
  const cls: number[] = [];
  const bboxes: number[] = [];
  const confs: number[] = [];
  detections.forEach((rows, i) => {
    for (const [x1, y1, x2, y2, conf, c] of rows.slice(0, 15) as number[][]) {
      batchIdx.push(i);
      cls.push(c as number);
      bboxes.push(x1 as number, y1 as number, x2 as number, y2 as number);
      confs.push(conf as number);
    }
  });
  await plotImages({
    images: batch.img,
    shape: batch.imgShape,
    batchIdx,
    cls,
    bboxes,
    boxFormat: 'xyxy',
    confs,
    paths: batch.imFile,
    names,
    fname: join(saveDir, `val_batch${ni}_pred.jpg`),
    ...(masks && masks.shape[0] === cls.length ? { masks } : {}),
  });
}

/** PR_curve.png, F1/P/R_curve.png and both confusion matrices of a validation run. */
export async function plotValidationCurves(
  metrics: DetMetrics,
  confusion: ConfusionMatrix | null,
  names: string[],
  saveDir: string,
): Promise<void> {
  const curves = metrics.curvesResults;
  const classNames = Array.from(metrics.apClassIndex, (c) => names[c] ?? String(c));
  const [pr, f1, p, r] = curves;
  if (pr?.[1].length) {
    await plotPrCurve(pr[0], pr[1], Array.from(metrics.box.ap50), classNames, join(saveDir, 'PR_curve.png'));
    for (const [curve, file, label] of [
      [f1, 'F1_curve.png', 'F1'],
      [p, 'P_curve.png', 'Precision'],
      [r, 'R_curve.png', 'Recall'],
    ] as const) {
      if (curve) await plotMcCurve(curve[0], curve[1], classNames, join(saveDir, file), label);
    }
  }
  if (confusion) {
    const rows = confusion.toArray();
    await plotConfusionMatrix(rows, names, saveDir, { normalize: true });
    await plotConfusionMatrix(rows, names, saveDir, { normalize: false });
  }
}
