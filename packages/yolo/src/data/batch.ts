// The batch the model and loss see: Ultralytics' collate layout, with tensors.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { RawBatch } from './collate.js';

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
  /** Sizes fed to the model per image [h, w] (the letterboxed target shape, as Ultralytics). */
  resizedShape: [number, number][];
  /** Per image [[ratioH, ratioW], [padW, padH]] as Ultralytics' ratio_pad (letterboxed validation batches). */
  ratioPad?: [[number, number], [number, number]][];
  /**
   * Segment datasets: uint8 GT masks at 1/mask_ratio of the input size, (B, h, w) overlap index masks (value k = the
   * image's k-th label) with `overlap_mask`, else (n, h, w) one 0/1 mask per label.
   */
  masks?: Tensor;
}

/** The loader's typed arrays as tensors (owned by the current scope). */
export function toBatch(raw: RawBatch): Batch {
  const n = raw.cls.length;
  return {
    img: torch.fromTypedArray(raw.img, raw.imgShape),
    batchIdx: torch.fromTypedArray(raw.batchIdx, [n]),
    cls: torch.fromTypedArray(raw.cls, [n, 1]),
    bboxes: torch.fromTypedArray(raw.bboxes, [n, 4]),
    imFile: raw.imFile,
    oriShape: raw.oriShape,
    resizedShape: raw.resizedShape,
    ratioPad: raw.ratioPad,
    ...(raw.masks && raw.masksShape ? { masks: torch.fromTypedArray(raw.masks, raw.masksShape) } : {}),
  };
}
