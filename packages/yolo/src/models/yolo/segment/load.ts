// Building a SegmentationModel from whatever a user names: a model YAML, a yolots checkpoint or an Ultralytics .pt.
import { SegmentationModel } from '../../../nn/segmentation-model.js';
import { loadYoloModel } from '../detect/load.js';

/**
 * A ready segmentation model: `yolov8n-seg.yaml` (new, random weights), `best.safetensors` or `yolov8n-seg.pt`
 * (weights loaded strictly, eval mode, the checkpoint's training arguments as `args`).
 * @example const model = loadSegmentationModel('runs/segment/train/weights/best.safetensors');
 */
export function loadSegmentationModel(source: string, options: { verbose?: boolean } = {}): SegmentationModel {
  return loadYoloModel(source, (cfg, o) => new SegmentationModel(cfg, o), options);
}
