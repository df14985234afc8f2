// Batches of a ClassificationDataset: images (B, 3, S, S) uint8 and their classes, in the epoch's shuffled order.
import type { LoaderBatch, TrainLoader } from '../../engine/task-types.js';
import { forEachLimited } from '../image-store.js';
import { EpochSampler } from '../sampler.js';
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

/**
 * Loads batches on the calling thread; a few images decode at once on libvips' threads while the others are
 * augmented. Shuffling and augmentation depend only on (seed, epoch, index), as with the detection loader.
 *
 * @example
 * const loader = new ClassificationLoader(dataset, { batchSize: 64, shuffle: true });
 * loader.setEpoch(0);
 * for await (const batch of loader) console.log(batch.imgShape, batch.cls);
 */
export class ClassificationLoader implements TrainLoader<ClassifyRawBatch> {
  readonly sampler: EpochSampler;
  readonly batchSize: number;
  readonly workers = 0;
  private epoch = 0;

  constructor(
    readonly dataset: ClassificationDataset,
    options: { batchSize: number; shuffle: boolean; seed?: number; rank?: number; worldSize?: number },
  ) {
    this.batchSize = Math.max(1, Math.min(options.batchSize, dataset.length));
    this.sampler = new EpochSampler(dataset.length, {
      shuffle: options.shuffle,
      seed: options.seed ?? dataset.args.seed,
      rank: options.rank ?? 0,
      worldSize: options.worldSize ?? 1,
    });
  }

  get length(): number {
    return Math.ceil(this.sampler.length / this.batchSize);
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.sampler.setEpoch(epoch);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ClassifyRawBatch> {
    const order = this.sampler.indices();
    const epoch = this.epoch;
    for (let start = 0; start < order.length; start += this.batchSize) {
      yield await this.batch(order.slice(start, start + this.batchSize), epoch);
    }
  }

  /** The batch of the given sample indices. */
  async batch(indices: readonly number[], epoch: number): Promise<ClassifyRawBatch> {
    const size = this.dataset.args.imgsz;
    const per = 3 * size * size;
    const img = new Uint8Array(indices.length * per);
    const cls = new Int32Array(indices.length);
    const imFile: string[] = new Array(indices.length);
    await forEachLimited(indices.length, 4, async (k) => {
      const sample = await this.dataset.getItem(indices[k] as number, epoch);
      img.set(sample.img, k * per);
      cls[k] = sample.cls;
      imFile[k] = sample.file;
    });
    return { img, imgShape: [indices.length, 3, size, size], cls, imFile };
  }
}
