import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { TrainLoader } from '../engine/task-types.js';
import { runBatch } from './batch-job.js';
import type { RawBatch } from './collate.js';
import type { YOLODataset } from './dataset.js';
import type { WorkerRequest } from './loader-worker.js';
import { EpochSampler } from './sampler.js';
import { spawnWorker } from './spawn-worker.js';

export interface DataLoaderOptions {
  batchSize: number;
  /** Worker threads; 0 runs loading and augmentation on the calling thread. */
  workers: number;
  shuffle: boolean;
  seed?: number;
  rank?: number;
  worldSize?: number;
  /** Batches each worker may have queued or ready ahead of the consumer (2, like torch's prefetch_factor). */
  prefetch?: number;
}

interface Pending {
  resolve: (b: RawBatch) => void;
  reject: (e: Error) => void;
  worker: PoolWorker;
}

interface PoolWorker {
  thread: Worker;
  busy: number;
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
export class DataLoader implements TrainLoader<RawBatch> {
  readonly sampler: EpochSampler;
  readonly batchSize: number;
  readonly workers: number;
  private readonly prefetch: number;
  private epoch = 0;
  private pool: PoolWorker[] | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private sentHyp = '';
  private closed = false;

  constructor(
    readonly dataset: YOLODataset,
    options: DataLoaderOptions,
  ) {
    this.batchSize = Math.max(1, Math.min(options.batchSize, dataset.length));
    this.workers = Math.max(0, Math.floor(options.workers));
    this.prefetch = Math.max(1, options.prefetch ?? 2);
    this.sampler = new EpochSampler(dataset.length, {
      shuffle: options.shuffle,
      seed: options.seed ?? dataset.hyp.seed,
      rank: options.rank ?? 0,
      worldSize: options.worldSize ?? 1,
    });
  }

  /** Batches per epoch for this rank (no drop_last). */
  get length(): number {
    return Math.ceil(this.sampler.length / this.batchSize);
  }

  /** Selects the epoch whose shuffle and augmentation the next iteration uses. */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.sampler.setEpoch(epoch);
  }

  /**
   * Switches the dataset to its no-mosaic pipeline, for the last `close_mosaic` epochs; worker threads receive the
   * new settings before their next batch.
   */
  closeMosaic(): void {
    this.dataset.closeMosaic();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RawBatch> {
    if (this.closed) throw new Error('DataLoader: iterated after close()');
    const epoch = this.epoch;
    const order = this.sampler.indices();
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) batches.push(order.slice(i, i + this.batchSize));
    const inFlight = new Map<number, Promise<RawBatch>>();
    const depth = Math.max(1, this.workers) * this.prefetch;
    let submitted = 0;
    try {
      for (let k = 0; k < batches.length; k++) {
        while (submitted < batches.length && submitted < k + depth) {
          const p = this.submit(batches[submitted]!, epoch, submitted);
          p.catch(() => undefined); // surfaced when awaited below
          inFlight.set(submitted, p);
          submitted++;
        }
        const batch = await (inFlight.get(k) as Promise<RawBatch>);
        inFlight.delete(k);
        yield batch;
      }
    } finally {
      inFlight.clear();
    }
  }

  private submit(indices: number[], epoch: number, k: number): Promise<RawBatch> {
    if (this.workers === 0) return runBatch(this.dataset, indices, epoch);
    const pool = this.ensurePool();
    const hyp = JSON.stringify(this.dataset.hyp);
    if (hyp !== this.sentHyp) {
      for (const w of pool) w.thread.postMessage({ type: 'hyp', hyp: this.dataset.hyp } satisfies WorkerRequest);
      this.sentHyp = hyp;
    }
    const worker = pool[k % pool.length]!;
    const id = this.nextId++;
    return new Promise<RawBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      if (worker.busy++ === 0) worker.thread.ref();
      worker.thread.postMessage({ type: 'batch', id, indices, epoch } satisfies WorkerRequest);
    });
  }

  private ensurePool(): PoolWorker[] {
    if (this.pool) return this.pool;
    const state = this.dataset.toState();
    this.sentHyp = JSON.stringify(state.hyp);
    const count = Math.min(this.workers, availableParallelism());
    this.pool = Array.from({ length: count }, () => {
      const w: PoolWorker = { thread: spawnWorker(new URL('./loader-worker.ts', import.meta.url), { state }), busy: 0 };
      w.thread.unref();
      w.thread.on('message', (msg: { type: string; id: number; batch?: RawBatch; message?: string; stack?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.release(w);
        if (msg.type === 'batch') p.resolve(msg.batch as RawBatch);
        else p.reject(Object.assign(new Error(`DataLoader worker: ${msg.message}`), { stack: msg.stack }));
      });
      const fail = (e: Error): void => {
        for (const [id, p] of this.pending) {
          if (p.worker !== w) continue;
          this.pending.delete(id);
          p.reject(new Error(`DataLoader worker failed: ${e.message}`));
        }
        w.busy = 0;
      };
      w.thread.on('error', fail);
      w.thread.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exited with code ${code}`));
      });
      return w;
    });
    return this.pool;
  }

  private release(w: PoolWorker): void {
    if (--w.busy === 0) w.thread.unref();
  }

  /** Stops the worker threads; the loader cannot be iterated afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool ?? [];
    this.pool = null;
    await Promise.all(pool.map((w) => w.thread.terminate()));
    for (const p of this.pending.values()) p.reject(new Error('DataLoader closed'));
    this.pending.clear();
  }
}
