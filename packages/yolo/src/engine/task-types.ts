// The types that make up a task, in one bundle the engine's generic classes are parameterised by:
// `BaseTrainer<T>`, `BaseValidator<T>`. A task (detect, segment, classify, …) names its own bundle, so its hooks'
// overrides are typed end to end: a segmentation batch has masks, a classification batch images and class indices.
import type { TensorBatch, TrainableModel } from './model-types.js';

/** The least a loader batch holds (plain arrays, so it can cross worker threads): what the loop logs and reports. */
export interface LoaderBatch {
  /** Image tensor shape [B, C, H, W]. */
  imgShape: readonly number[];
  /** One class per label (per box, or per image for classification): the progress bar's 'Instances'. */
  cls: ArrayLike<number>;
  /** Image files of the batch (named when a batch fails). */
  imFile: readonly string[];
}

/** What a dataset description holds at least: the class names (index = class id) and their count. */
export interface DatasetInfo {
  nc: number;
  names: string[];
}

/**
 * The types of one task. Each engine hook is typed by one of these: `getDataset()` resolves `data` and the splits'
 * `source`s, `buildDataset(source)` gives a `dataset`, `getDataloader(source)` a loader of `raw` batches, `toBatch(raw)`
 * and `preprocessBatch()` make the tensor `batch` that `model.loss(batch)` reads, and the validator's `postprocess`
 * turns the model's output into `preds` for `updateMetrics(preds, batch)`.
 *
 * @example
 * interface SegmentTypes extends DetectTypes { raw: SegmentRawBatch; batch: SegmentBatch; model: SegmentationModel }
 * class SegmentationTrainer extends DetectionTrainer<SegmentTypes> {}
 */
export interface TaskTypes {
  model: TrainableModel;
  data: DatasetInfo;
  /** What a split is given as (image folders or lists for detection). */
  source: unknown;
  dataset: unknown;
  raw: LoaderBatch;
  batch: TensorBatch;
  preds: unknown;
}

/**
 * The data loader contract the training and validation loops rely on (the default is data/loader.ts's DataLoader;
 * any object with `length` and async iteration will do).
 */
export interface TrainLoader<R extends LoaderBatch = LoaderBatch> extends AsyncIterable<R> {
  /** Batches per epoch. */
  readonly length: number;
  /** Worker threads decoding and augmenting (0 = in the training thread). */
  readonly workers?: number;
  /** Reshuffles (and re-seeds augmentation) for this epoch. */
  setEpoch?(epoch: number): void;
  /** Switches the dataset to its no-mosaic pipeline for the last `close_mosaic` epochs. */
  closeMosaic?(): void;
  close?(): Promise<void> | void;
}
