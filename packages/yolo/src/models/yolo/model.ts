// YOLO: the Model front end with the detection task's executors (Ultralytics' models/yolo/model.py).
import { Exporter } from '../../engine/exporter.js';
import { Model, type TaskMap } from '../../engine/model.js';
import { guessModelTask } from '../../nn/guess-task.js';
import { loadClassificationModel } from './classify/load.js';
import { ClassificationPredictor } from './classify/predict.js';
import { ClassificationTrainer } from './classify/train.js';
import { ClassificationValidator } from './classify/val.js';
import { loadDetectionModel } from './detect/load.js';
import { DetectionPredictor } from './detect/predict.js';
import { DetectionTrainer } from './detect/train.js';
import { DetectionValidator } from './detect/val.js';
import { loadSegmentationModel } from './segment/load.js';
import { SegmentationPredictor } from './segment/predict.js';
import { SegmentationTrainer } from './segment/train.js';
import { SegmentationValidator } from './segment/val.js';

/** The task map: which trainer, validator, predictor, exporter and loader serve each task. */
export const YOLO_TASK_MAP: TaskMap = {
  detect: {
    trainer: DetectionTrainer,
    validator: DetectionValidator,
    predictor: DetectionPredictor,
    exporter: Exporter,
    load: (source) => loadDetectionModel(source),
  },
  segment: {
    trainer: SegmentationTrainer,
    validator: SegmentationValidator,
    predictor: SegmentationPredictor,
    exporter: Exporter,
    load: (source) => loadSegmentationModel(source),
  },
  classify: {
    trainer: ClassificationTrainer,
    validator: ClassificationValidator,
    predictor: ClassificationPredictor,
    exporter: Exporter,
    load: (source) => loadClassificationModel(source),
  },
};

/**
 * The YOLO model: build from a YAML, or load a yolots checkpoint or an Ultralytics .pt; then train, val, predict,
 * export. An exported .onnx model predicts and validates through onnxruntime-node.
 * @example
 * const model = new YOLO('yolov8n.yaml');
 * await model.train({ epochs: 3, imgsz: 256 }); // no data: the built-in shapes dataset
 * const metrics = await model.val();
 * const onnx = await model.export({ format: 'onnx', dynamic: true }); // beside best.safetensors
 * const [result] = await new YOLO(onnx).predict('bus.jpg');
 */
export class YOLO extends Model {
  /** @param task the task; by default guessed from the source as Ultralytics does ('yolov8n-seg.pt' ⇒ 'segment'). */
  constructor(source = 'yolov8n.yaml', task?: string) {
    super(source, YOLO_TASK_MAP, task ?? guessModelTask(source));
  }
}
