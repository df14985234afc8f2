import type { Worker } from 'node:worker_threads';
import type { TrainLoader } from '../engine/task-types.js';
import { runBatch } from './batch-job.js';
import type { RawBatch } from './collate.js';
import type { YOLODataset } from './dataset.js';
import type { WorkerRequest } from './loader-worker.js';
import { WorkerPoolLoader, type WorkerPoolLoaderOptions } from './worker-pool-loader.js';

export interface DataLoaderOptions extends WorkerPoolLoaderOptions {
  /** Worker threads; 0 runs loading and augmentation on the calling thread. */
  workers: number;
}

/**
 * Batches of a YOLODataset in Ultralytics' collate layout. Worker threads (persisting across epochs, like
 * Ultralytics' InfiniteDataLoader) decode and augment while the consumer trains; at most workers·prefetch batches
 * are in flight, so memory stays flat. Batches come out in sampler order and are identical for any worker count:
 * a sample depends only on (seed, epoch, index).
 *
 * @example
 * const loader = new DataLoader(dataset, { batchSize: 16, workers: 2, shuffle: true });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   loader.setEpoch(epoch);
 *   for await (const batch of loader) train(batch);
 * }
 * await loader.close();
 */
export class DataLoader extends WorkerPoolLoader<RawBatch> implements TrainLoader<RawBatch> {
  /** The augmentation settings the workers last received (they change with closeMosaic). */
  private sentHyp = '';

  constructor(
    readonly dataset: YOLODataset,
    options: DataLoaderOptions,
  ) {
    super('DataLoader', dataset.length, dataset.hyp.seed, options);
  }

  /**
   * Switches the dataset to its no-mosaic pipeline, for the last `close_mosaic` epochs; worker threads receive the
   * new settings before their next batch.
   */
  closeMosaic(): void {
    this.dataset.closeMosaic();
  }

  protected loadHere(indices: number[], epoch: number): Promise<RawBatch> {
    return runBatch(this.dataset, indices, epoch);
  }

  protected workerSetup(): { entry: URL; workerData: unknown } {
    const state = this.dataset.toState();
    this.sentHyp = this.settingsKey();
    return { entry: new URL('./loader-worker.ts', import.meta.url), workerData: { state } };
  }

  protected override settingsKey(): string {
    return JSON.stringify(this.dataset.hyp);
  }

  protected override beforeRequest(threads: Worker[]): void {
    const hyp = this.settingsKey();
    if (hyp === this.sentHyp) return;
    for (const thread of threads) thread.postMessage({ type: 'hyp', hyp: this.dataset.hyp } satisfies WorkerRequest);
    this.sentHyp = hyp;
  }
}
