// The batch the model and loss see: Ultralytics' collate layout, with tensors.
import type { Tensor } from '@yolots/torch';

/**
 * One training/validation batch after `preprocessBatch()` (keys are Ultralytics' batch keys, camelCased).
 * Labels of all images are concatenated; `batchIdx[i]` says which image label i belongs to.
 */
export interface Batch {
  /** Images (B, 3, H, W): uint8 from the loader, float32 in [0, 1] after preprocessing. */
  img: Tensor;
  /** (n,) image index of each label, float32 as in Ultralytics. */
  batchIdx: Tensor;
  /** (n, 1) class of each label, float32. */
  cls: Tensor;
  /** (n, 4) boxes as normalised xywh. */
  bboxes: Tensor;
  imFile: string[];
  /** Original image sizes [h, w]. */
  oriShape: [number, number][];
  /** Sizes after resizing, before padding [h, w]. */
  resizedShape: [number, number][];
  /** Per image [[ratioH, ratioW], [padW, padH]] as Ultralytics' ratio_pad. */
  ratioPad: [[number, number], [number, number]][];
}
