// What the generic engine needs of a model, so BaseTrainer/BaseValidator never import the detection task.
import type { nn, Tensor } from '@yolots/torch';
import type { Args } from '../cfg/args.js';

/** The least a batch of tensors holds: the images the model reads. A task's batch adds its labels. */
export interface TensorBatch {
  /** Images (B, C, H, W): uint8 from the loader, float in [0, 1] after preprocessing, on the run's device. */
  img: Tensor;
}

/** A model architecture: a YAML path or name ('yolov8n.yaml') or the parsed dict (a checkpoint's `model.yaml`). */
export type ModelCfg = string | Record<string, unknown>;

/** A state dict: parameter and buffer tensors by name. */
export type StateDict = Map<string, Tensor>;

/**
 * A model the trainer can train: a Module that computes its own loss (DetectionModel is one). `B` is the batch its
 * loss reads; a task with other labels (masks, keypoints) names its own batch type.
 */
export interface TrainableModel<B extends TensorBatch = TensorBatch> extends nn.Module<any, any> {
  /** Strides of the output levels (e.g. [8, 16, 32]). */
  stride: number[];
  nc: number;
  names: Record<number, string>;
  /** The architecture as a dict (model YAML), saved in checkpoints to rebuild the model. */
  yaml: Record<string, unknown>;
  /** The hyperparameters the loss reads: set by the trainer (`setModelAttributes`) or from a checkpoint's train_args. */
  args?: Args;
  /** The model family ('yolov8', 'yolo11', …): picks family-specific defaults such as optimizer=auto's rule. */
  family?: string;
  /** Whether BatchNorm was folded into the convolutions (checkpoints record it). */
  isFused?(): boolean;
  /**
   * The model's loss, when it has one; a criterion with `update()` (YOLO26's E2ELoss) has a per-epoch schedule: the
   * trainer calls `update()` at every epoch end and `setUpdates(finished epochs)` when resuming.
   */
  criterion?: unknown;
  /** A fresh criterion (the trainer makes one when resuming an epoch-scheduled loss). */
  initCriterion?(): unknown;
  /** Loss on a preprocessed batch: `[loss (scalar, × batch size), detached loss items]`. */
  loss(batch: B, preds?: unknown): [Tensor, Tensor];
}
