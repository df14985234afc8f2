import { parentPort, workerData } from 'node:worker_threads';
import type { DataArgs } from './args.js';
import { runBatch } from './batch-job.js';
import { batchBuffers, type RawBatch } from './collate.js';
import { type DatasetState, YOLODataset } from './dataset.js';
import type { BatchReply, BatchRequest } from './worker-pool-loader.js';

/** Messages a loader worker accepts. */
export type WorkerRequest = BatchRequest | { type: 'hyp'; hyp: DataArgs };

const port = parentPort;
if (!port) throw new Error('loader-worker must run as a worker thread');
const ready = YOLODataset.fromState((workerData as { state: DatasetState }).state);
let queue: Promise<unknown> = ready;

// Jobs run one after another in arrival order, so 'hyp' updates apply exactly between batches.
port.on('message', (msg: WorkerRequest) => {
  queue = queue.then(async () => {
    const dataset = await ready;
    if (msg.type === 'hyp') {
      dataset.setHyp(msg.hyp);
      return;
    }
    try {
      const batch = await runBatch(dataset, msg.indices, msg.epoch);
      port.postMessage({ type: 'batch', id: msg.id, batch } satisfies BatchReply<RawBatch>, batchBuffers(batch));
    } catch (e) {
      const err = e as Error;
      port.postMessage({ type: 'error', id: msg.id, message: err.message, stack: err.stack } satisfies BatchReply<RawBatch>);
    }
  });
});
