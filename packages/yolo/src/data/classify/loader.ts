// Batches of a ClassificationDataset: images (B, 3, S, S) uint8 and their classes, in the epoch's shuffled order,
// made on the calling thread or by worker threads.
import type { LoaderBatch, TrainLoader } from '../../engine/task-types.js';
import { forEachLimited } from '../image-store.js';
import { WorkerPoolLoader, type WorkerPoolLoaderOptions } from '../worker-pool-loader.js';
import type { ClassificationDataset } from './dataset.js';

/** A loader batch of a classification dataset (plain arrays). */
export interface ClassifyRawBatch extends LoaderBatch {
  /** B·3·S·S uint8, CHW per image. */
  img: Uint8Array;
  imgShape: [number, number, number, number];
  /** Class index per image. */
  cls: Int32Array;
  imFile: string[];
}

/** The batch of the given sample indices (a few images decode at once on libvips' threads while others augment). */
export async function loadClassifyBatch(
  dataset: ClassificationDataset,
  indices: readonly number[],
  epoch: number,
): Promise<ClassifyRawBatch> {
  const size = dataset.args.imgsz;
  const per = 3 * size * size;
  const img = new Uint8Array(indices.length * per);
  const cls = new Int32Array(indices.length);
  const imFile: string[] = new Array(indices.length);
  await forEachLimited(indices.length, 4, async (k) => {
    const sample = await dataset.getItem(indices[k] as number, epoch);
    img.set(sample.img, k * per);
    cls[k] = sample.cls;
    imFile[k] = sample.file;
  });
  return { img, imgShape: [indices.length, 3, size, size], cls, imFile };
}

/**
 * Batches in sampler order. With `workers` > 0, worker threads (kept across epochs) decode and augment up to
 * workers·2 batches ahead; batches are identical for any worker count, since a sample's augmentation depends only on
 * (seed, epoch, index).
 *
 * @example
 * const loader = new ClassificationLoader(dataset, { batchSize: 64, shuffle: true, workers: 2 });
 * loader.setEpoch(0);
 * for await (const batch of loader) console.log(batch.imgShape, batch.cls);
 * await loader.close();
 */
export class ClassificationLoader extends WorkerPoolLoader<ClassifyRawBatch> implements TrainLoader<ClassifyRawBatch> {
  constructor(
    readonly dataset: ClassificationDataset,
    options: WorkerPoolLoaderOptions,
  ) {
    super('ClassificationLoader', dataset.length, dataset.args.seed, options);
  }

  protected loadHere(indices: number[], epoch: number): Promise<ClassifyRawBatch> {
    return loadClassifyBatch(this.dataset, indices, epoch);
  }

  protected workerSetup(): { entry: URL; workerData: unknown } {
    return { entry: new URL('./loader-worker.ts', import.meta.url), workerData: { state: this.dataset.toState() } };
  }

  /** Classification batches are never mosaics: nothing to switch at close_mosaic (Ultralytics' trainer finds no mosaic either). */
  closeMosaic(): void {}
}
