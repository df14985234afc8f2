// YOLO: the Model front end with the detection task's executors (Ultralytics' models/yolo/model.py).
import { Exporter } from '../../engine/exporter.js';
import { Model, type TaskMap } from '../../engine/model.js';
import { loadDetectionModel } from './detect/load.js';
import { DetectionPredictor } from './detect/predict.js';
import { DetectionTrainer } from './detect/train.js';
import { DetectionValidator } from './detect/val.js';

/** The task map: which trainer, validator, predictor, exporter and loader serve each task. */
export const YOLO_TASK_MAP: TaskMap = {
  detect: {
    trainer: DetectionTrainer,
    validator: DetectionValidator,
    predictor: DetectionPredictor,
    exporter: Exporter,
    load: (source) => loadDetectionModel(source),
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
  constructor(source = 'yolov8n.yaml', task = 'detect') {
    super(source, YOLO_TASK_MAP, task);
  }
}
