// Building a ClassificationModel from whatever a user names: a model YAML, a yolots checkpoint or an Ultralytics .pt.
import { ClassificationModel } from '../../../nn/classification-model.js';
import { loadYoloModel } from '../detect/load.js';

/**
 * A ready classification model: `yolov8n-cls.yaml` (new, random weights), `best.safetensors` or `yolov8n-cls.pt`
 * (weights loaded strictly, eval mode, the checkpoint's training arguments as `args`).
 * @example const model = loadClassificationModel('runs/classify/train/weights/best.safetensors');
 */
export function loadClassificationModel(source: string, options: { verbose?: boolean } = {}): ClassificationModel {
  return loadYoloModel(source, (cfg, o) => new ClassificationModel(cfg, o), options);
}
