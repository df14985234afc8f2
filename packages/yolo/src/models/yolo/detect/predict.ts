// DetectionPredictor: the detection specialisation of the predictor (Ultralytics' models/yolo/detect/predict.py).

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { RgbImage } from '../../../data/images.js';
import { BasePredictor } from '../../../engine/predictor.js';
import { Results } from '../../../engine/results.js';
import type { DetectionModel } from '../../../nn/tasks.js';
import { END_TO_END_NOTE, isEndToEnd, nonMaxSuppression } from '../../../utils/nms.js';
import { scaleBoxes } from '../../../utils/ops.js';
import { loadDetectionModel } from './load.js';

/**
 * Predicts boxes: NMS with the `conf`, `iou`, `classes`, `agnostic_nms` and `max_det` arguments, then boxes scaled
 * from the letterboxed input back to each original image.
 *
 * @example
 * const predictor = new DetectionPredictor({ overrides: { conf: 0.25, imgsz: 640, save: false } });
 * const results = await predictor.predict('bus.jpg', 'runs/detect/train/weights/best.safetensors');
 * console.log(results[0].verbose()); // '4 persons, 1 bus, '
 * await predictor.predict('bus.jpg'); // later calls re-use the model
 * // An ONNX export runs through onnxruntime-node (a new predictor per model):
 * await new DetectionPredictor({ overrides: { imgsz: 640 } }).predict('bus.jpg', 'best.onnx');
 */
export class DetectionPredictor extends BasePredictor<DetectionModel> {
  postprocess(preds: unknown, img: Tensor, origImgs: RgbImage[]): Results[] {
    const { classes } = this.args;
    const prediction = predictionTensor(preds);
    this.postprocessNote = isEndToEnd(prediction) ? END_TO_END_NOTE : null;
    const detections = nonMaxSuppression(prediction, {
      confThres: this.args.conf ?? 0.25,
      iouThres: this.args.iou,
      agnostic: this.args.agnostic_nms,
      maxDet: this.args.max_det,
      classes: classes === null ? undefined : typeof classes === 'number' ? [classes] : classes,
    });
    const inputShape = [img.shape[2], img.shape[3]] as [number, number];
    const paths = this.batch?.paths ?? [];
    return detections.map((pred, i) => {
      const orig = origImgs[i]!;
      const boxes = scaleBoxes(inputShape, pred, [orig.height, orig.width]);
      return new Results(orig, paths[i] ?? `image${i}.jpg`, this.names, { boxes });
    });
  }

  protected loadModel(source: string | null): DetectionModel {
    if (!source) throw new Error('no model to predict with: pass a DetectionModel, a weights path or a .onnx export, or set model=<path>');
    return loadDetectionModel(source);
  }
}

/** The (B, 4 + nc, anchors) decoded predictions in a model's eval output (`{ pred, raw }`, a tensor, or a list). */
function predictionTensor(preds: unknown): Tensor {
  if (preds instanceof torch.Tensor) return preds;
  if (Array.isArray(preds) && preds[0] instanceof torch.Tensor) return preds[0];
  if (typeof preds === 'object' && preds !== null && (preds as { pred?: unknown }).pred instanceof torch.Tensor) {
    return (preds as { pred: Tensor }).pred;
  }
  throw new TypeError('DetectionPredictor: the model output holds no (B, 4 + nc, anchors) prediction tensor; is the model in eval mode?');
}
