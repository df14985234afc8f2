// The classification task's plots: batch mosaics labelled with one class per image, results.png in 2×2, and the
// nc × nc confusion matrices.
import { join } from 'node:path';
import type { ClassifyRawBatch } from '../../../data/classify/loader.js';
import { CLASSIFY_RESULTS_PLOT_COLUMNS, plotConfusionMatrix, plotImages, plotResults } from '../../../utils/plotting/index.js';

/** A batch mosaic with each image's class written on it (train_batch<ni>.jpg, val_batch<ni>_labels/pred.jpg). */
export async function plotClassifyBatch(batch: ClassifyRawBatch, cls: ArrayLike<number>, names: string[], file: string): Promise<void> {
  const n = batch.imgShape[0];
  await plotImages({
    images: batch.img,
    shape: batch.imgShape,
    batchIdx: Array.from({ length: n }, (_, i) => i),
    cls,
    paths: batch.imFile,
    names,
    fname: file,
  });
}

/** results.png: Ultralytics' plot_results(classify=True), 2×2 (train/loss, val/loss, top-1, top-5). */
export async function plotClassifyResults(csv: string, saveDir: string): Promise<void> {
  await plotResults(csv, saveDir, { columns: CLASSIFY_RESULTS_PLOT_COLUMNS, widthIn: 6 });
}

/** confusion_matrix_normalized.png and confusion_matrix.png of an nc × nc classification matrix. */
export async function plotClassifyConfusion(rows: number[][], names: string[], saveDir: string): Promise<void> {
  for (const normalize of [true, false]) await plotConfusionMatrix(rows, names, saveDir, { normalize, background: false });
}

/** Where a batch plot goes. */
export const batchPlotFile = (saveDir: string, name: string): string => join(saveDir, name);
