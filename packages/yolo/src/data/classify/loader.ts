// Batches of a ClassificationDataset: images (B, 3, S, S) uint8 and their classes, in the epoch's shuffled order,
// made on the calling thread or by worker threads.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { LoaderBatch, TrainLoader } from '../../engine/task-types.js';
import { forEachLimited } from '../image-store.js';
import { EpochSampler } from '../sampler.js';
import { spawnWorker } from '../spawn-worker.js';
import type { ClassificationDataset } from './dataset.js';
import type { ClassifyWorkerRequest } from './loader-worker.js';

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

interface Pending {
  resolve: (b: ClassifyRawBatch) => void;
  reject: (e: Error) => void;
  worker: Worker;
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
export class ClassificationLoader implements TrainLoader<ClassifyRawBatch> {
  readonly sampler: EpochSampler;
  readonly batchSize: number;
  readonly workers: number;
  private epoch = 0;
  private pool: Worker[] | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    readonly dataset: ClassificationDataset,
    options: { batchSize: number; shuffle: boolean; workers?: number; seed?: number; rank?: number; worldSize?: number },
  ) {
    this.batchSize = Math.max(1, Math.min(options.batchSize, dataset.length));
    this.workers = Math.max(0, Math.min(Math.floor(options.workers ?? 0), availableParallelism()));
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

  /** Classification batches are never mosaics: nothing to switch at close_mosaic (Ultralytics' trainer finds no mosaic either). */
  closeMosaic(): void {}

  async *[Symbol.asyncIterator](): AsyncIterator<ClassifyRawBatch> {
    const order = this.sampler.indices();
    const epoch = this.epoch;
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) batches.push(order.slice(i, i + this.batchSize));
    const inFlight = new Map<number, Promise<ClassifyRawBatch>>();
    const depth = Math.max(1, this.workers * 2);
    let submitted = 0;
    for (let k = 0; k < batches.length; k++) {
      while (submitted < batches.length && submitted < k + depth) {
        const p = this.submit(batches[submitted] as number[], epoch, submitted);
        p.catch(() => undefined); // surfaced when awaited below
        inFlight.set(submitted++, p);
      }
      const batch = await (inFlight.get(k) as Promise<ClassifyRawBatch>);
      inFlight.delete(k);
      yield batch;
    }
  }

  private submit(indices: number[], epoch: number, k: number): Promise<ClassifyRawBatch> {
    if (this.workers === 0) return loadClassifyBatch(this.dataset, indices, epoch);
    const pool = this.ensurePool();
    const worker = pool[k % pool.length] as Worker;
    const id = this.nextId++;
    return new Promise<ClassifyRawBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.ref(); // an idle worker does not keep the process alive
      worker.postMessage({ id, indices, epoch } satisfies ClassifyWorkerRequest);
    });
  }

  private ensurePool(): Worker[] {
    if (this.pool) return this.pool;
    const state = this.dataset.toState();
    this.pool = Array.from({ length: this.workers }, () => {
      const worker = spawnWorker(new URL('./loader-worker.ts', import.meta.url), { state });
      worker.unref();
      worker.on('message', (msg: { id: number; batch?: ClassifyRawBatch; error?: string; stack?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (![...this.pending.values()].some((q) => q.worker === worker)) worker.unref();
        if (msg.batch) p.resolve(msg.batch);
        else p.reject(Object.assign(new Error(`classification loader worker: ${msg.error}`), { stack: msg.stack }));
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new Error(`classification loader worker failed: ${e.message}`));
        this.pending.clear();
      });
      return worker;
    });
    return this.pool;
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    const pool = this.pool ?? [];
    this.pool = null;
    await Promise.all(pool.map((w) => w.terminate()));
    for (const p of this.pending.values()) p.reject(new Error('ClassificationLoader closed'));
    this.pending.clear();
  }
}
