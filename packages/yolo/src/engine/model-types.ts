// What the generic engine needs of a model, so BaseTrainer/BaseValidator never import the detection task.
import type { nn, Tensor } from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import type { Batch } from '../data/batch.js';

/** A model the trainer can train: a Module that computes its own loss (DetectionModel is one). */
export interface TrainableModel extends nn.Module<any, any> {
  /** Strides of the output levels (e.g. [8, 16, 32]). */
  stride: number[];
  nc: number;
  names: Record<number, string>;
  /** The architecture as a dict (model YAML), saved in checkpoints to rebuild the model. */
  yaml: Record<string, unknown>;
  /** Set by the trainer (`setModelAttributes`): the hyperparameters the loss reads. */
  args?: Args;
  /** Whether BatchNorm was folded into the convolutions (checkpoints record it). */
  isFused?(): boolean;
  /** Loss on a preprocessed batch: `[loss (scalar, × batch size), detached loss items]`. */
  loss(batch: Batch, preds?: unknown): [Tensor, Tensor];
}
