// The segmentation task's types: detection's, with a segmentation model, batches with masks, and predictions
// that carry the batch's prototypes.
import type { Tensor } from '@yolots/torch';
import type { Batch } from '../../../data/batch.js';
import type { SegmentationModel } from '../../../nn/segmentation-model.js';
import type { DetectTypes } from '../detect/types.js';

/** A batch of a segment dataset after `toBatch`: detection's, with the masks (see `Batch.masks`). */
export type SegmentBatch = Batch & { masks: Tensor };

/**
 * The validator's predictions: per image the NMS rows [x1, y1, x2, y2, conf, cls, 32 coefficients] (input pixels),
 * and the batch's prototypes (B, 32, H/4, W/4) the masks are made from.
 */
export type SegmentPreds = Tensor[] & { protos: Tensor };

/** Segmentation: detection's sources, datasets and loader batches, a SegmentationModel, masks in the batch. */
export interface SegmentTypes extends DetectTypes {
  model: SegmentationModel;
  batch: SegmentBatch;
  preds: SegmentPreds;
}
