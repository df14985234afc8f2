// The seam between the training loop and its validator: what a validator is handed when it runs during training,
// and what the trainer asks of it. The validator reads nothing else of the trainer.
import type { BatchLoader, TaskTypes } from './task-types.js';

/** A validator's result: metric columns (results.csv names), val losses during training, and `fitness`. */
export type ValidationMetrics = Record<string, number>;

/** Everything a validation run during training needs, handed by the trainer (`BaseTrainer.validationContext`). */
export interface ValidationContext<T extends TaskTypes> {
  /** The network being trained, with the EMA weights in it; the validator runs it in eval mode and restores its mode. */
  readonly model: T['model'];
  /** The validation loader (made once by the trainer, reused every epoch). */
  readonly loader: BatchLoader<T['raw']>;
  /** Where the model is: the validator moves each batch there. */
  readonly device: string;
  /** The epoch just trained (0-based) and the run's epoch count. */
  readonly epoch: number;
  readonly epochs: number;
  /** Whether this validation plots (Ultralytics: `plots` on, and the last epoch or an early stop ahead). */
  readonly plots: boolean;
  /** The loss items' names, e.g. ['box_loss', 'cls_loss', 'dfl_loss']. */
  readonly lossNames: readonly string[];
  /** Names mean val loss items as results.csv columns (`{ 'val/box_loss': 1.23, … }`): the trainer's `labelLossItems`. */
  labelLossItems(items: readonly number[]): Record<string, number>;
}

/** The final evaluation's inputs: the validation loader and device of the run. */
export interface FinalEvalOptions<T extends TaskTypes> {
  readonly loader: BatchLoader<T['raw']>;
  readonly device: string;
}

/** What the trainer needs of its validator (BaseValidator is one). */
export interface TrainValidator<T extends TaskTypes> {
  /** Metric column names, e.g. 'metrics/precision(B)'. */
  readonly metricKeys: readonly string[];
  /** Validates the model of `context`: metrics, mean val losses (rounded to 5 decimals) and `fitness`. */
  run(options: { context: ValidationContext<T> }): Promise<ValidationMetrics>;
  /** Validates a finished run's best checkpoint (loaded from `best`, fused) on the run's loader: metrics and `fitness`. */
  finalEval(best: string, options: FinalEvalOptions<T>): Promise<ValidationMetrics>;
}
