// Building a SegmentationModel from whatever a user names: a model YAML, a yolots checkpoint or an Ultralytics .pt.
import * as torch from '@yolots/torch';
import { SegmentationModel } from '../../../nn/segmentation-model.js';
import { readWeightsFile } from '../detect/load.js';

/**
 * A ready segmentation model: `yolov8n-seg.yaml` (new, random weights), `best.safetensors` or `yolov8n-seg.pt`
 * (weights loaded strictly).
 * @example const model = loadSegmentationModel('runs/segment/train/weights/best.safetensors');
 */
export function loadSegmentationModel(source: string, options: { verbose?: boolean } = {}): SegmentationModel {
  if (!/\.(pt|safetensors)$/.test(source)) return new SegmentationModel(source, { verbose: options.verbose ?? false });
  const { cfg, weights, names, fused } = readWeightsFile(source);
  try {
    const model = new SegmentationModel(cfg, { verbose: options.verbose ?? false });
    if (fused) model.fuse(false);
    model.loadStateDict(weights);
    if (names) model.names = names;
    return model;
  } finally {
    torch.dispose([...weights.values()]);
  }
}
