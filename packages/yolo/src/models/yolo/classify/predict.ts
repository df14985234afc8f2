// ClassificationPredictor (Ultralytics' models/yolo/classify/predict.py): the val transforms (short side to imgsz,
// centre crop) instead of the letterbox, and Results with the class probabilities.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { classifyTransforms } from '../../../data/classify/transforms.js';
import type { RgbImage } from '../../../data/images.js';
import { BasePredictor } from '../../../engine/predictor.js';
import { Results } from '../../../engine/results.js';
import type { ClassificationModel } from '../../../nn/classification-model.js';
import { loadClassificationModel } from './load.js';

/**
 * Predicts class probabilities: each image resized (short side) and centre-cropped to imgsz with Pillow's bilinear
 * filter, as Ultralytics' classify_transforms, then `Results.probs` (top1, top5, their confidences).
 *
 * @example
 * const predictor = new ClassificationPredictor({ overrides: { imgsz: 224, save: false } });
 * const [result] = await predictor.predict('cat.jpg', 'yolov8n-cls.pt');
 * result.probs?.top1; // the most probable class
 */
export class ClassificationPredictor extends BasePredictor<ClassificationModel> {
  /**
   * classify_transforms at the size the model was trained at (its checkpoint's imgsz and crop_fraction: what an
   * Ultralytics checkpoint pickles as `transforms` and its predictor uses whatever `imgsz` says), else at `imgsz`.
   */
  override preTransform(images: RgbImage[]): RgbImage[] {
    const trained = this.model?.args;
    const size = trained ? (Array.isArray(trained.imgsz) ? (trained.imgsz[0] as number) : (trained.imgsz as number)) : this.imgsz[0];
    const cropFraction = trained ? trained.crop_fraction : this.args.crop_fraction;
    return images.map((img) => classifyTransforms(img, size, cropFraction));
  }

  postprocess(preds: unknown, _img: Tensor, origImgs: RgbImage[]): Results[] {
    const probs = Array.isArray(preds) ? preds[0] : preds;
    if (!(probs instanceof torch.Tensor)) throw new TypeError('ClassificationPredictor: the model output is not a (B, nc) tensor');
    const paths = this.batch?.paths ?? [];
    return origImgs.map(
      (orig, i) => new Results(orig, paths[i] ?? `image${i}.jpg`, this.names, { probs: probs.select(0, i).float().cpu() }),
    );
  }

  protected loadModel(source: string | null): ClassificationModel {
    if (!source)
      throw new Error('no model to predict with: pass a ClassificationModel, a weights path or a .onnx export, or set model=<path>');
    return loadClassificationModel(source);
  }
}
