// The classification task's types (see engine/task-types.ts): folder sources, a ClassificationDataset, batches of
// images and one class per image, and (B, nc) probabilities as predictions.
import type { Tensor } from '@yolots/torch';
import type { ClassificationDataset } from '../../../data/classify/dataset.js';
import type { ClsDataset } from '../../../data/classify/folders.js';
import type { ClassifyRawBatch } from '../../../data/classify/loader.js';
import type { TaskTypes } from '../../../engine/task-types.js';
import type { ClassificationModel } from '../../../nn/classification-model.js';

/** A classification batch as tensors: images (B, 3, S, S) and their classes (B,) int64. */
export interface ClassifyBatch {
  img: Tensor;
  cls: Tensor;
  imFile: string[];
}

/** Classification: split folders as sources, folder-per-class datasets, probabilities (B, nc) as predictions. */
export interface ClassifyTypes extends TaskTypes {
  model: ClassificationModel;
  data: ClsDataset;
  source: string;
  dataset: ClassificationDataset;
  raw: ClassifyRawBatch;
  batch: ClassifyBatch;
  preds: Tensor;
}
