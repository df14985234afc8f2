// SegmentationPredictor: the segmentation specialisation of the predictor (Ultralytics' models/yolo/segment/predict.py).

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { RgbImage } from '../../../data/images.js';
import { BasePredictor } from '../../../engine/predictor.js';
import { Results } from '../../../engine/results.js';
import type { SegmentationModel } from '../../../nn/segmentation-model.js';
import { nonMaxSuppression } from '../../../utils/nms.js';
import { scaleBoxes } from '../../../utils/ops.js';
import { processMask, processMaskNative } from '../../../utils/ops-mask.js';
import { loadSegmentationModel } from './load.js';

/**
 * Predicts boxes and masks: NMS over the classes (the mask coefficients ride along), then each detection's mask
 * from the prototypes — at the letterboxed input size, cropped at prototype resolution and upsampled (default), or
 * at the original image size with `retina_masks` — and the boxes scaled back to each original image.
 *
 * @example
 * const predictor = new SegmentationPredictor({ overrides: { conf: 0.25, imgsz: 640, save: false } });
 * const [result] = await predictor.predict('bus.jpg', 'yolov8n-seg.pt');
 * result.masks?.xy[0]; // the first detection's outline in image pixels
 */
export class SegmentationPredictor extends BasePredictor<SegmentationModel> {
  postprocess(preds: unknown, img: Tensor, origImgs: RgbImage[]): Results[] {
    const [pred, protos] = segmentOutputs(preds);
    const { classes } = this.args;
    const detections = nonMaxSuppression(pred, {
      confThres: this.args.conf ?? 0.25,
      iouThres: this.args.iou,
      agnostic: this.args.agnostic_nms,
      maxDet: this.args.max_det,
      nc: Object.keys(this.names).length,
      classes: classes === null ? undefined : typeof classes === 'number' ? [classes] : classes,
    });
    const inputShape = [img.shape[2], img.shape[3]] as [number, number];
    const paths = this.batch?.paths ?? [];
    return detections.map((det, i) => {
      const orig = origImgs[i]!;
      const origShape: [number, number] = [orig.height, orig.width];
      const path = paths[i] ?? `image${i}.jpg`;
      if (det.shape[0] === 0) return new Results(orig, path, this.names, { boxes: det.narrow(1, 0, 6) });
      const proto = protos.select(0, i);
      const coefficients = det.narrow(1, 6, det.shape[1]! - 6);
      if (this.args.retina_masks) {
        const boxes = scaleBoxes(inputShape, det.narrow(1, 0, 6), origShape);
        const masks = processMaskNative(proto, coefficients, boxes.narrow(1, 0, 4), origShape);
        return new Results(orig, path, this.names, { boxes, masks });
      }
      const masks = processMask(proto, coefficients, det.narrow(1, 0, 4), inputShape, true);
      return new Results(orig, path, this.names, { boxes: scaleBoxes(inputShape, det.narrow(1, 0, 6), origShape), masks });
    });
  }

  protected loadModel(source: string | null): SegmentationModel {
    if (!source)
      throw new Error('no model to predict with: pass a SegmentationModel, a weights path or a .onnx export, or set model=<path>');
    return loadSegmentationModel(source);
  }
}

/**
 * The predictions (B, 4 + nc + nm, anchors) and prototypes (B, nm, h, w) in a segmentation model's output: eval mode
 * `[pred, [maps, coefficients, protos]]`, or an export's `[pred, protos]`.
 */
export function segmentOutputs(preds: unknown): [Tensor, Tensor] {
  if (Array.isArray(preds) && preds[0] instanceof torch.Tensor) {
    const second: unknown = preds[1];
    if (second instanceof torch.Tensor) return [preds[0], second];
    if (Array.isArray(second) && second[2] instanceof torch.Tensor) return [preds[0], second[2]];
  }
  throw new TypeError(
    'SegmentationPredictor: expected the output of a segmentation model ([pred, protos]); is it a -seg model in eval mode?',
  );
}
