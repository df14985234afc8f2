// yolots — the Ultralytics YOLO engine in TypeScript on libtorch.
// The names a user imports: the YOLO front end, the engine executors to subclass, models, data, and helpers.

// @yolots/torch as a namespace, so one dependency gives a user `torch.Tensor` for overrides and callbacks.
export * as torch from '@yolots/torch';

export type { Args } from './cfg/args.js';
export { defaultCfg, getCfg } from './cfg/config.js';
export { DEFAULT_SETTINGS, readSettings, resetSettings, type Settings, settingsFile, updateSettings } from './cfg/settings.js';
export { type Batch, toBatch } from './data/batch.js';
export { ClassificationDataset, type ClassifyDataArgs, type ClassifySample } from './data/classify/dataset.js';
export { type ClsDataset, checkClsDataset } from './data/classify/folders.js';
export { ClassificationLoader, type ClassifyRawBatch } from './data/classify/loader.js';
export { pillowResizeBilinear } from './data/classify/pillow-resize.js';
export { classifyTransforms } from './data/classify/transforms.js';
export * from './data/index.js';
export {
  crossingScenario,
  MotionRenderer,
  type MotionScenario,
  type Mover,
  panScenario,
  simulateDetections,
  steadyScenario,
  type TruthObject,
} from './data/shapes/motion.js';
export { BUILTIN_DATASET, ensureShapesClassifyDataset, ensureShapesDataset, isBuiltinDataset } from './data/shapes.js';
export {
  type InferenceBatch,
  type InferenceDataset,
  LoadImagesAndVideos,
  LoadStreams,
  loadInferenceSource,
  type PredictSource,
  VID_FORMATS,
} from './data/sources.js';
export { probeVideo, type VideoInfo } from './data/video/probe.js';
export { VideoReader } from './data/video/reader.js';
export { VideoWriter } from './data/video/writer.js';
export { Boxes } from './engine/boxes.js';
export {
  CALLBACK_EVENTS,
  type Callback,
  type CallbackEvent,
  Callbacks,
  defaultCallbacks,
  type ExporterEvent,
  type PredictorEvent,
  type TrainerEvent,
  type ValidatorEvent,
} from './engine/callbacks.js';
export { type CudaStatus, cudaStatus, type DeviceRequest, parseDevice, selectDevice } from './engine/device.js';
export { Exporter, exportOnnx } from './engine/exporter.js';
export { Masks } from './engine/masks.js';
export { Model, type Overrides, type TaskEntry, type TaskMap } from './engine/model.js';
export type { ModelCfg, StateDict, TensorBatch, TrainableModel } from './engine/model-types.js';
export { BasePredictor, type PredictorOptions } from './engine/predictor.js';
export { Probs } from './engine/probs.js';
export { Results } from './engine/results.js';
export type { BatchLoader, DatasetInfo, LoaderBatch, TaskTypes, TrainLoader } from './engine/task-types.js';
export {
  BaseTrainer,
  type InitialModel,
  type ModelOutput,
  type PlotRecord,
  type TrainerCallbackOwner,
  type TrainerOptions,
  type TrainOptimizer,
} from './engine/trainer.js';
export type { FinalEvalOptions, TrainValidator, ValidationContext, ValidationMetrics } from './engine/validation-context.js';
export { BaseValidator, type ValidatorOptions, type ValidatorRunOptions } from './engine/validator.js';
export { registerOnnxEmitter } from './export/onnx/emitters.js';
export { BUILTIN_CLASSIFY_DATASET, resolveClassifyDataset } from './models/yolo/classify/data.js';
export { loadClassificationModel } from './models/yolo/classify/load.js';
export { ClassificationPredictor } from './models/yolo/classify/predict.js';
export { ClassificationTrainer } from './models/yolo/classify/train.js';
export type { ClassifyBatch, ClassifyTypes } from './models/yolo/classify/types.js';
export { ClassificationValidator } from './models/yolo/classify/val.js';
export { resolveDataset } from './models/yolo/detect/data.js';
export {
  checkActivations,
  checkpointArgs,
  type LoadedWeights,
  loadDetectionModel,
  readWeightsFile,
  type WeightsMeta,
} from './models/yolo/detect/load.js';
export { DetectionPredictor } from './models/yolo/detect/predict.js';
export { DetectionTrainer } from './models/yolo/detect/train.js';
export type { DetectTypes } from './models/yolo/detect/types.js';
export { DetectionValidator } from './models/yolo/detect/val.js';
export { YOLO, YOLO_TASK_MAP } from './models/yolo/model.js';
export { BUILTIN_SEGMENT_DATASET, resolveSegmentDataset } from './models/yolo/segment/data.js';
export { loadSegmentationModel } from './models/yolo/segment/load.js';
export { SegmentationPredictor } from './models/yolo/segment/predict.js';
export { SegmentationTrainer } from './models/yolo/segment/train.js';
export type { SegmentBatch, SegmentPreds, SegmentTypes } from './models/yolo/segment/types.js';
export { SegmentationValidator } from './models/yolo/segment/val.js';
export { loadOnnxBackend, type OnnxBackend, TorchBackend } from './nn/autobackend.js';
export * from './nn/index.js';
export { IdCounter, TrackState } from './trackers/basetrack.js';
export { BOTrack, BOTSORT, type BotSortArgs } from './trackers/bot-sort.js';
export { BYTETracker, type ByteTrackArgs, type Detections, TRACK_COLUMNS } from './trackers/byte-tracker.js';
export { loadTrackerConfig, type TrackerConfig } from './trackers/config.js';
export { STrack } from './trackers/strack.js';
export { PredictorTracking, registerTracker, TRACKER_MAP, type Tracker, type TrackerFactory } from './trackers/track.js';
export { GMC, loadOpenCv } from './trackers/utils/gmc.js';
export { type IdBox, MotAccumulator, type MotScores } from './trackers/utils/mot-metrics.js';
export { type MlflowTrainer, mlflowCallbacks } from './utils/callbacks/mlflow.js';
export { type TensorBoardTrainer, tensorboardCallbacks } from './utils/callbacks/tensorboard.js';
export {
  type Checkpoint,
  type CheckpointMeta,
  loadCheckpoint,
  readCheckpointMeta,
  saveCheckpoint,
  stripCheckpoint,
} from './utils/checkpoint.js';
export { type DownloadOptions, downloadFile } from './utils/download-file.js';
export { assetUrl, attemptDownloadAsset, GITHUB_ASSETS_NAMES, GITHUB_ASSETS_RELEASE, weightsDir } from './utils/downloads.js';
export { ModelEMA } from './utils/ema.js';
export { BboxLoss, DetectionLoss, DFLoss } from './utils/loss.js';
export { ClassificationLoss } from './utils/loss-classify.js';
export { SegmentationLoss } from './utils/loss-segment.js';
export { ConfusionMatrix, DetMetrics, Metric } from './utils/metrics.js';
export { ClassifyConfusionMatrix, ClassifyMetrics } from './utils/metrics-classify.js';
export { maskTruePositives, SegmentMetrics } from './utils/metrics-segment.js';
export { nonMaxSuppression } from './utils/nms.js';
export { cropMask, maskIou, masks2segments, processMask, processMaskNative, scaleCoords, scaleMasks } from './utils/ops-mask.js';
export { TaskAlignedAssigner } from './utils/tal.js';
export { EventFileWriter } from './utils/tensorboard/event-file.js';
export {
  extractUltralyticsCheckpoint,
  float16ToFloat32,
  loadUltralyticsCheckpoint,
  toFloat32,
  type UltralyticsCheckpoint,
} from './utils/ultralytics-pt.js';
export { VERSION } from './version.js';
