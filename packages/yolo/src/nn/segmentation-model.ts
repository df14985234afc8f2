// SegmentationModel (Ultralytics' nn/tasks.py SegmentationModel): a DetectionModel whose head is Segment, with the
// segmentation loss.
import { defaultCfg } from '../cfg/config.js';
import { SegmentationLoss } from '../utils/loss-segment.js';
import { Segment, type SegmentOutput, type SegmentTrainOutput } from './modules/segment.js';
import type { ModelYaml } from './parse-model.js';
import { type Criterion, DetectionModel, type DetectionModelOptions } from './tasks.js';

/**
 * A YOLO instance segmentation model built from a model YAML ('yolov8n-seg.yaml', a path, or the dict).
 * `forward` gives `[maps, coefficients, protos]` in training mode and `[pred, [maps, coefficients, protos]]` in eval
 * mode, `pred` (B, 4 + nc + 32, anchors) being the detections followed by their mask coefficients.
 *
 * @example
 * const model = new SegmentationModel('yolov8n-seg.yaml', { nc: 80, verbose: false });
 * model.eval();
 * const [pred, [, , protos]] = model.call(images) as SegmentPrediction; // (B, 116, 8400), (B, 32, 160, 160) at 640
 */
export class SegmentationModel extends DetectionModel<SegmentOutput> {
  /** The task this model serves (Ultralytics' guess_model_task answer for it). */
  readonly task = 'segment';

  constructor(cfg: string | ModelYaml | Record<string, unknown> = 'yolov8n-seg.yaml', options: DetectionModelOptions = {}) {
    super(cfg, options);
    if (!(this.model.at(this.model.length - 1) instanceof Segment)) {
      const file = typeof cfg === 'string' ? cfg : (this.yaml.yaml_file ?? 'the model YAML');
      throw new Error(`SegmentationModel: ${file} does not end in a Segment head (use a -seg model YAML such as yolov8n-seg.yaml)`);
    }
  }

  /** The segmentation head (the last layer). */
  override get head(): Segment {
    return super.head as Segment;
  }

  /** The criterion reads the training output: as is, or the second half of eval output `[pred, [maps, mc, protos]]`. */
  protected override lossInputs(output: SegmentOutput): SegmentTrainOutput {
    if (output.length === 3) return output;
    const second = output[1];
    if (!Array.isArray(second)) throw new Error('SegmentationModel.loss needs the training outputs; the head is in export mode');
    return second;
  }

  /** The segmentation loss with the gains and `overlap_mask` of `args` (the defaults when no trainer set them). */
  override initCriterion(): Criterion {
    const hyp = this.args ?? defaultCfg();
    return new SegmentationLoss(
      { stride: this.stride, nc: this.nc, regMax: this.head.regMax },
      { box: hyp.box, cls: hyp.cls, dfl: hyp.dfl },
      hyp.overlap_mask,
    );
  }
}
