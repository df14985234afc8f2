// The skeleton every task's data loader shares: batches of sample indices in the sampler's order, made on the calling
// thread or by a pool of worker threads that persists across epochs (Ultralytics' InfiniteDataLoader), a bounded
// number in flight. A task's loader says how a batch is made here and how its worker thread is started.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { EpochSampler } from './sampler.js';
import { spawnWorker } from './spawn-worker.js';

/** What a loader worker thread is asked: the samples of one batch of one epoch. */
export interface BatchRequest {
  type: 'batch';
  id: number;
  indices: number[];
  epoch: number;
}

/** What a loader worker thread answers to a BatchRequest. */
export type BatchReply<B> = { type: 'batch'; id: number; batch: B } | { type: 'error'; id: number; message: string; stack?: string };

export interface WorkerPoolLoaderOptions {
  batchSize: number;
  /** Worker threads (at most the cores); 0 makes the batches on the calling thread. */
  workers?: number;
  shuffle: boolean;
  /** The shuffle seed (the dataset's `seed` when absent). */
  seed?: number;
  rank?: number;
  worldSize?: number;
  /** Batches each worker may have queued or ready ahead of the consumer (2, like torch's prefetch_factor). */
  prefetch?: number;
}

interface Pending<B> {
  resolve: (b: B) => void;
  reject: (e: Error) => void;
  worker: PoolWorker;
}

interface PoolWorker {
  thread: Worker;
  /** Requests sent and not answered; an idle worker is unref'd so that it does not keep the process alive. */
  busy: number;
}

/** The first batches of an epoch requested before it began (prefetchEpoch), with the settings they were made under. */
interface AheadBatches<B> {
  epoch: number;
  settings: string;
  batches: Map<number, Promise<B>>;
}

/**
 * Batches in sampler order, identical for any worker count (a sample depends only on seed, epoch and index); at
 * most max(1, workers)·prefetch batches are in flight, so memory stays flat.
 */
export abstract class WorkerPoolLoader<B> implements AsyncIterable<B> {
  readonly sampler: EpochSampler;
  readonly batchSize: number;
  readonly workers: number;
  private readonly prefetch: number;
  private epoch = 0;
  private pool: PoolWorker[] | null = null;
  private readonly pending = new Map<number, Pending<B>>();
  private ahead: AheadBatches<B> | null = null;
  private nextId = 0;
  private closed = false;

  /** `name` starts the messages of worker failures. */
  constructor(
    private readonly name: string,
    samples: number,
    seed: number,
    options: WorkerPoolLoaderOptions,
  ) {
    this.batchSize = Math.max(1, Math.min(options.batchSize, samples));
    this.workers = Math.max(0, Math.min(Math.floor(options.workers ?? 0), availableParallelism()));
    this.prefetch = Math.max(1, options.prefetch ?? 2);
    this.sampler = new EpochSampler(samples, {
      shuffle: options.shuffle,
      seed: options.seed ?? seed,
      rank: options.rank ?? 0,
      worldSize: options.worldSize ?? 1,
    });
  }

  /** Makes the batch of `indices` on the calling thread. */
  protected abstract loadHere(indices: number[], epoch: number): Promise<B>;

  /** The worker threads' entry module (it answers BatchRequests with BatchReplies) and the data they start from. */
  protected abstract workerSetup(): { entry: URL; workerData: unknown };

  /**
   * What shapes a batch besides (seed, epoch, indices), e.g. the augmentation settings: batches prefetched under
   * other settings are not used.
   */
  protected settingsKey(): string {
    return '';
  }

  /** Called before each request goes to the pool (a loader sends its workers new settings here). */
  protected beforeRequest(_threads: Worker[]): void {}

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
   * Starts loading the first batches of `epoch` (one per worker thread) on the worker threads now, e.g. while the
   * model validates after an epoch, so that the next epoch's first step does not wait for data; the rest load during
   * that step, as in any iteration. (Not the whole in-flight depth: at 640 each batch held ahead is ~20 MB more peak.)
   * They are used when `epoch` is iterated next under the same settings, and dropped otherwise (e.g. when
   * closeMosaic() comes in between). Without worker threads it does nothing: loading would run on this thread.
   */
  prefetchEpoch(epoch: number): void {
    if (this.closed || this.workers === 0) return;
    const batches = this.batchesOf(epoch);
    const ahead = new Map<number, Promise<B>>();
    for (let k = 0; k < Math.min(this.workers, batches.length); k++) ahead.set(k, this.request(batches[k] as number[], epoch, k));
    this.ahead = { epoch, settings: this.settingsKey(), batches: ahead };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.closed) throw new Error(`${this.name}: iterated after close()`);
    const epoch = this.epoch;
    const batches = this.batchesOf(epoch);
    const ahead = this.takeAhead(epoch);
    const inFlight = new Map<number, Promise<B>>();
    let submitted = 0;
    try {
      for (let k = 0; k < batches.length; k++) {
        while (submitted < batches.length && submitted < k + this.depth) {
          inFlight.set(submitted, ahead.get(submitted) ?? this.request(batches[submitted] as number[], epoch, submitted));
          submitted++;
        }
        const batch = await (inFlight.get(k) as Promise<B>);
        inFlight.delete(k);
        yield batch;
      }
    } finally {
      inFlight.clear();
    }
  }

  /** Batches in flight during an iteration. */
  private get depth(): number {
    return Math.max(1, this.workers) * this.prefetch;
  }

  /** `epoch`'s sample indices, cut into batches. */
  private batchesOf(epoch: number): number[][] {
    const order = this.sampler.indices(epoch);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) batches.push(order.slice(i, i + this.batchSize));
    return batches;
  }

  /** The batches prefetched for `epoch` under the current settings (empty if none); any others are dropped. */
  private takeAhead(epoch: number): Map<number, Promise<B>> {
    const ahead = this.ahead;
    this.ahead = null;
    if (!ahead || ahead.epoch !== epoch || ahead.settings !== this.settingsKey()) return new Map();
    return ahead.batches;
  }

  /** Batch k of an epoch, its failure surfaced only where it is awaited (an unused prefetched batch may fail unseen). */
  private request(indices: number[], epoch: number, k: number): Promise<B> {
    const p = this.submit(indices, epoch, k);
    p.catch(() => undefined);
    return p;
  }

  private submit(indices: number[], epoch: number, k: number): Promise<B> {
    if (this.workers === 0) return this.loadHere(indices, epoch);
    const pool = this.ensurePool();
    this.beforeRequest(pool.map((w) => w.thread));
    const worker = pool[k % pool.length] as PoolWorker;
    const id = this.nextId++;
    return new Promise<B>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      if (worker.busy++ === 0) worker.thread.ref();
      worker.thread.postMessage({ type: 'batch', id, indices, epoch } satisfies BatchRequest);
    });
  }

  private ensurePool(): PoolWorker[] {
    if (this.pool) return this.pool;
    const { entry, workerData } = this.workerSetup();
    this.pool = Array.from({ length: this.workers }, () => {
      const w: PoolWorker = { thread: spawnWorker(entry, workerData), busy: 0 };
      w.thread.unref();
      w.thread.on('message', (msg: BatchReply<B>) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (--w.busy === 0) w.thread.unref();
        if (msg.type === 'batch') p.resolve(msg.batch);
        else p.reject(Object.assign(new Error(`${this.name} worker: ${msg.message}`), { stack: msg.stack }));
      });
      const fail = (e: Error): void => {
        for (const [id, p] of this.pending) {
          if (p.worker !== w) continue;
          this.pending.delete(id);
          p.reject(new Error(`${this.name} worker failed: ${e.message}`));
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

  /** Stops the worker threads; the loader cannot be iterated afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    this.ahead = null;
    const pool = this.pool ?? [];
    this.pool = null;
    await Promise.all(pool.map((w) => stopThread(w.thread)));
    for (const p of this.pending.values()) p.reject(new Error(`${this.name} closed`));
    this.pending.clear();
  }
}

/**
 * Terminates a loader thread. Nothing keeps the event loop alive while the thread shuts down, so a process with no
 * other work could end with close() unresolved (seen in ~1 of 10 closes of the test loader): a timer keeps the loop
 * alive meanwhile (terminate() then resolves within it) and bounds the wait.
 */
async function stopThread(thread: Worker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, STOP_WAIT_MS);
  });
  try {
    await Promise.race([thread.terminate(), bound]);
  } finally {
    clearTimeout(timer);
  }
}

const STOP_WAIT_MS = 2000;
