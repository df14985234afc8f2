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
 * What the validation loop reads from a loader: `length` and async iteration of `raw` batches (the default is
 * data/loader.ts's DataLoader; a validator's own loader is closed when its run ends).
 */
export interface BatchLoader<R extends LoaderBatch = LoaderBatch> extends AsyncIterable<R> {
  /** Batches per pass. */
  readonly length: number;
  /** Worker threads decoding and augmenting (0 = in the training thread). */
  readonly workers?: number;
  close?(): Promise<void> | void;
}

/**
 * What the training loop needs of a loader: a BatchLoader whose epoch hooks are required, so that a loader wrapping
 * another cannot drop them unseen (the trainer also checks them at setup, for JavaScript callers). A loader with
 * nothing to do in one of them says so with an empty method.
 *
 * @example
 * const inner = buildDataloader(dataset, batchSize, workers, true, rank);
 * const wrapped: TrainLoader<RawBatch> = {
 *   length: inner.length,
 *   setEpoch: (epoch) => inner.setEpoch(epoch),
 *   closeMosaic: () => inner.closeMosaic(),
 *   close: () => inner.close(),
 *   [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator](),
 * };
 */
export interface TrainLoader<R extends LoaderBatch = LoaderBatch> extends BatchLoader<R> {
  /** Reshuffles (and re-seeds augmentation) for this epoch: called before each epoch's batches. */
  setEpoch(epoch: number): void;
  /** Switches the dataset to its no-mosaic pipeline for the last `close_mosaic` epochs. */
  closeMosaic(): void;
  /**
   * Optional: starts loading `epoch`'s first batches while the trainer validates the epoch before it (used only if
   * that epoch comes next under unchanged settings).
   */
  prefetchEpoch?(epoch: number): void;
  /** Ends worker threads: awaited when training ends. */
  close(): Promise<void> | void;
}
