// The detection task's types (see engine/task-types.ts): what its trainer and validator hooks take and return.
import type { Tensor } from '@yolots/torch';
import type { Batch } from '../../../data/batch.js';
import type { RawBatch } from '../../../data/collate.js';
import type { YOLODataset } from '../../../data/dataset.js';
import type { DetDataset } from '../../../data/dataset-yaml.js';
import type { TaskTypes } from '../../../engine/task-types.js';
import type { DetectionModel } from '../../../nn/tasks.js';

/**
 * Detection: a data.yaml's image folders or lists as split sources, a YOLODataset, loader batches of images and
 * boxes, and per image an (n, 6) tensor of `x1, y1, x2, y2, conf, cls` after NMS. Tasks built on detection
 * (segment, pose, obb) extend it with their own batch and model types.
 */
export interface DetectTypes extends TaskTypes {
  model: DetectionModel;
  data: DetDataset;
  source: string[];
  dataset: YOLODataset;
  raw: RawBatch;
  batch: Batch;
  preds: Tensor[];
}

/**
 * A value DetectionTrainer/DetectionValidator make with detection's own types, as the task's type `T[K]`: the one
 * place they widen their defaults to `T`. A subclass whose types narrow one of them (a segmentation batch with masks)
 * overrides the hook that makes it.
 */
export function asTaskType<T extends DetectTypes, K extends keyof DetectTypes>(_kind: K, value: DetectTypes[K]): T[K] {
  return value as T[K];
}
